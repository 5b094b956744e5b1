package org.ristretto.cli;

import picocli.CommandLine;

/** Bad flags or values: one line naming the problem and where to read more, exit code 2. */
final class UsageErrorHandler implements CommandLine.IParameterExceptionHandler {
    static final int USAGE_ERROR = 2;

    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        String name = cl.getCommandSpec().qualifiedName();
        cl.getErr().println("ristretto: " + ex.getMessage() + " (see '" + name + " --help')");
        cl.getErr().flush();
        return USAGE_ERROR;
    }
}
