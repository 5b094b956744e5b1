package org.ristretto.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ristretto} command: subcommands for running, inspecting and converting GGUF models. */
@Command(name = "ristretto",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Fast LLM inference on the JVM: GGUF models on the CPU, OpenCL and CUDA.",
        subcommands = {
            InfoCommand.class,
            ConvertCommand.class,
            DevicesCommand.class,
            RunCommand.class,
            ChatCommand.class,
            LogitsCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /** Where interactive commands read their input (standard input unless a test gives another stream). */
    private InputStream input = System.in;

    /** The input interactive commands read from. */
    InputStream input() {
        return input;
    }

    /** Builds the command line with Ristretto's error handling: one-line messages, exit 2 for usage errors. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(System.in, out, err);
    }

    /** {@link #commandLine(PrintWriter, PrintWriter)} with the input interactive commands read. */
    public static CommandLine commandLine(InputStream in, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        main.input = in;
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler(new UsageErrorHandler());
        cl.setExecutionExceptionHandler(new FailureHandler());
        return cl;
    }

    public static void main(String[] args) {
        // Generated text is UTF-8 whatever the locale says (a POSIX locale would turn every emoji into '?').
        PrintWriter out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out),
                StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err),
                StandardCharsets.UTF_8), true);
        int code = commandLine(out, err).execute(args);
        out.flush();
        System.exit(code);
    }
}
