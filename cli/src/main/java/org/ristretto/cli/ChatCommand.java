package org.ristretto.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ristretto.core.chat.ChatMessage;
import org.ristretto.core.chat.ChatTemplate;
import org.ristretto.core.generate.GenerationOptions;
import org.ristretto.core.generate.GenerationResult;
import org.ristretto.core.generate.Session;
import org.ristretto.core.generate.StopReason;
import org.ristretto.core.sampling.SamplingParams;
import org.ristretto.core.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ristretto chat}: an interactive conversation through the model's chat template. Each turn renders the whole
 * conversation, and the session evaluates only what its KV cache does not already hold, so history is not prefilled
 * again. Ctrl-C stops the answer being generated; {@code /exit} or end of input (Ctrl-D) ends the chat.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat with a model through its chat template. The KV cache is kept between turns.",
                "Ctrl-C stops the current answer (at the prompt it ends the chat); /exit or Ctrl-D ends it too."})
final class ChatCommand implements Callable<Integer> {

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message that starts the conversation.")
    String system;

    @Option(names = "--chat-template", paramLabel = "NAME|FILE",
            description = "A built-in template (llama2, llama3, chatml, mistral, gemma), one of the GGUF's named"
                    + " templates, or a .jinja / tokenizer_config.json file (default: the GGUF's own).")
    String chatTemplate;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "-1",
            description = "Most tokens per answer; -1 = until an end token or the context is full (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplingOptions samplingOptions;

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SamplingParams sampling = Usage.check(spec, () -> {
            modelOptions.validate();
            return samplingOptions.params();
        });
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BufferedReader in = new BufferedReader(new InputStreamReader(main.input(), StandardCharsets.UTF_8));
        try (ModelOptions.Loaded loaded = modelOptions.load(err);
             Session session = loaded.model().newSession()) {
            ChatTemplate template = loaded.model().chatTemplate(chatTemplate);
            err.println("chat template: " + template.name() + "; /exit or Ctrl-D ends the chat, Ctrl-C stops an answer");
            err.flush();
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) {
                messages.add(new ChatMessage("system", system));
            }
            AtomicBoolean interrupted = new AtomicBoolean();
            AtomicBoolean generating = new AtomicBoolean();
            Runnable restoreSignal = InterruptSignal.install(() -> {
                if (generating.get()) {
                    interrupted.set(true);
                } else {
                    // At the prompt Ctrl-C ends the chat, as in llama.cpp; the exit status says SIGINT.
                    out.println();
                    out.flush();
                    Runtime.getRuntime().halt(130);
                }
            });
            try {
                converse(in, out, err, session, template, loaded.model().tokenizer(), messages,
                        new GenerationOptions(sampling, maxTokens, List.of()), interrupted, generating,
                        loaded.fallbacks());
            } finally {
                restoreSignal.run();
            }
        }
        return 0;
    }

    private static void converse(BufferedReader in, PrintWriter out, PrintWriter err, Session session,
                                 ChatTemplate template, Tokenizer tokenizer, List<ChatMessage> messages,
                                 GenerationOptions options, AtomicBoolean interrupted, AtomicBoolean generating,
                                 FallbackNotes fallbacks) throws IOException {
        while (true) {
            out.print("> ");
            out.flush();
            interrupted.set(false);
            String line = in.readLine();
            if (line == null || line.strip().equals("/exit")) {
                out.println();
                out.flush();
                return;
            }
            if (line.isBlank()) {
                continue;
            }
            messages.add(new ChatMessage("user", line));
            int[] ids = encode(tokenizer, template.render(messages, true));
            if (ids.length >= session.contextLength()) {
                err.println("the conversation (" + ids.length + " tokens) no longer fits the context ("
                        + session.contextLength() + "); start a new chat or raise --ctx-size");
                err.flush();
                messages.removeLast();
                continue;
            }
            GenerationResult r;
            generating.set(true);
            try {
                r = session.generate(ids, options, piece -> {
                    out.print(piece);
                    out.flush();
                }, interrupted::get);
            } finally {
                generating.set(false);
            }
            out.println();
            out.flush();
            if (r.reason() == StopReason.CANCELLED) {
                err.println("(answer stopped)");
            }
            fallbacks.print(err);
            RunStats.print(err, r);
            messages.add(new ChatMessage("assistant", r.text()));
        }
    }

    /** The rendered conversation as ids: special tokens parsed, BOS added once when the template did not write it. */
    private static int[] encode(Tokenizer tokenizer, String rendered) {
        int[] ids = tokenizer.encode(rendered, false, true);
        var vocab = tokenizer.vocabulary();
        if (vocab.addBos() && vocab.bos() >= 0 && (ids.length == 0 || ids[0] != vocab.bos())) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = vocab.bos();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }
}
