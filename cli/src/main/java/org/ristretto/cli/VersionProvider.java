package org.ristretto.cli;

import picocli.CommandLine;

/** Reports Ristretto's version (from the jar manifest when packaged) and the Java runtime it runs on. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {
            "ristretto " + (v == null ? "development build" : v),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
        };
    }
}
