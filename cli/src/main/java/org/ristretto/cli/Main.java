package org.ristretto.cli;

import java.io.PrintWriter;
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
            SynthCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /** Builds the command line with Ristretto's error handling: one-line messages, exit 2 for usage errors. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler(new UsageErrorHandler());
        cl.setExecutionExceptionHandler(new FailureHandler());
        return cl;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = commandLine(out, err).execute(args);
        out.flush();
        System.exit(code);
    }
}
