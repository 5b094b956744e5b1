package org.ristretto.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ristretto.core.convert.Llama2cConfig;
import org.ristretto.core.convert.Llama2cConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ristretto convert}: turns a model in another format into a GGUF file. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a llama2.c checkpoint (legacy version-0 .bin) and its tokenizer .bin into an F32 GGUF"
                + " file that Ristretto and llama.cpp load.")
final class ConvertCommand implements Callable<Integer> {

    @Option(names = "--llama2c", required = true, paramLabel = "MODEL.bin",
            description = "The llama2.c checkpoint (e.g. stories15M.bin).")
    Path checkpoint;

    @Option(names = "--tokenizer", required = true, paramLabel = "TOK.bin",
            description = "The llama2.c tokenizer written for that model (e.g. tokenizer.bin, tok512.bin).")
    Path tokenizer;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.gguf", description = "The GGUF file to write.")
    Path output;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The model name stored as general.name (default: the checkpoint's file name).")
    String name;

    @Option(names = "--verbose", description = "Show a stack trace when something fails.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Llama2cConfig c = name == null
                ? Llama2cConverter.convert(checkpoint, tokenizer, output)
                : Llama2cConverter.convert(checkpoint, tokenizer, output, name);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("wrote %s (%s): llama, %d layers, dim %d, ffn %d, %d heads (%d KV), vocab %d, context %d,"
                        + " %s classifier%n",
                output, Sizes.bytes(Files.size(output)), c.layers(), c.dim(), c.hiddenDim(), c.heads(), c.kvHeads(),
                c.vocabSize(), c.seqLen(), c.sharedClassifier() ? "tied" : "separate");
        out.flush();
        return 0;
    }
}
