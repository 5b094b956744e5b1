package org.ristretto.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * BuildAb against this checkout on both sides (the reactor has compiled {@code core} and {@code backend-cpu} before
 * this module's tests): it loads both builds, multiplies in turns, and reports identical outputs, for the file
 * layout and for packed copies; a checkout that was not built is refused with a message.
 */
class BuildAbTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @Test
    void comparesThisBuildWithItself() {
        for (String[] extra : new String[][] {{"--tokens", "40"}, {"--tokens", "1", "--packed"}}) {
            StringWriter text = new StringWriter();
            CommandLine cl = new CommandLine(new BuildAb());
            cl.setOut(new PrintWriter(text));
            String[] args = {"--a", ROOT.toString(), "--b", ROOT.toString(), "--type", "Q8_0", "--shape", "64x256",
                "--rounds", "2", "--seconds", "0.05", "--footprint-mib", "1", "--threads", "2"};
            String[] all = new String[args.length + extra.length];
            System.arraycopy(args, 0, all, 0, args.length);
            System.arraycopy(extra, 0, all, args.length, extra.length);
            assertEquals(0, cl.execute(all), text.toString());
            assertTrue(text.toString().contains("B/A per round: median"), text.toString());
            assertTrue(text.toString().contains("largest |A - B| of one product of the first matrix: 0.00000"),
                    text.toString());
        }
    }

    @Test
    void refusesACheckoutThatWasNotBuilt() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new BuildAb());
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--a", ROOT.toString(), "--b", ROOT.resolve("no-such-checkout").toString());
        assertTrue(code != 0);
        assertTrue(err.toString().contains("no-such-checkout/backend-cpu/target/classes does not exist"),
                err.toString());
    }
}
