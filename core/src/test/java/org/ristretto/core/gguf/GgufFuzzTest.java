package org.ristretto.core.gguf;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates a valid file many times (bit flips, truncations, length and count fields set to huge values, random
 * bytes): every outcome must be a clean load or a {@link GgufFormatException}; never another exception, an
 * out-of-memory error or a hang.
 */
class GgufFuzzTest {
    private static final int MUTATIONS = 12_000;
    private static final long[] HUGE = {
        -1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 62, 1L << 40, 1L << 32, 0xFFFFFFFFL, 1L << 31, Integer.MAX_VALUE,
        (1L << 31) - 8, 0, 1, 5, 13
    };

    @TempDir
    Path dir;

    @Test
    void mutatedFilesLoadCleanlyOrFailWithTheFormatException() throws IOException {
        byte[] valid = GgufTestFiles.bytesOf(GgufTestFiles.everyType(), dir, "valid.gguf");
        int headerEnd;
        try (GgufFile f = GgufTestFiles.parse(valid)) {
            headerEnd = (int) f.dataOffset();
        }
        int end = headerEnd;
        SplittableRandom rnd = new SplittableRandom(20261123);
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < MUTATIONS; i++) {
                byte[] m = mutate(valid, end, rnd);
                try (GgufFile f = GgufTestFiles.parse(m)) {
                    touchEverything(f);
                    outcomes[0]++;
                } catch (GgufFormatException expected) {
                    outcomes[1]++;
                } catch (Throwable t) {
                    fail("mutation #" + i + " gave " + t + " instead of a GgufFormatException; first difference at "
                            + Arrays.mismatch(valid, m), t);
                }
            }
        });
        System.out.printf("GGUF fuzz: %d mutations, %d loaded, %d rejected with GgufFormatException%n",
                MUTATIONS, outcomes[0], outcomes[1]);
    }

    private static void touchEverything(GgufFile f) {
        f.metadata().asMap().forEach((k, v) -> v.display());
        for (GgufTensorInfo t : f.tensors()) {
            MemorySegment s = f.tensorData(t);
            if (s.byteSize() > 0) {
                s.get(ValueLayout.JAVA_BYTE, s.byteSize() - 1);
            }
        }
    }

    private static byte[] mutate(byte[] valid, int headerEnd, SplittableRandom rnd) {
        byte[] m = valid.clone();
        // Most mutations land in the header, where the parser's decisions are made.
        int span = rnd.nextInt(10) == 0 ? m.length : headerEnd;
        switch (rnd.nextInt(5)) {
            case 0 -> { // bit flips
                int flips = 1 + rnd.nextInt(8);
                for (int k = 0; k < flips; k++) {
                    int at = rnd.nextInt(span);
                    m[at] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> { // truncation
                return Arrays.copyOf(m, rnd.nextInt(m.length));
            }
            case 2 -> { // a 64-bit length or count set to a huge or odd value
                int at = rnd.nextInt(Math.max(1, span - 8));
                ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putLong(at, HUGE[rnd.nextInt(HUGE.length)]);
            }
            case 3 -> { // a 32-bit type, rank or id set to an odd value
                int at = rnd.nextInt(Math.max(1, span - 4));
                ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) HUGE[rnd.nextInt(HUGE.length)]);
            }
            default -> { // a run of random bytes
                int at = rnd.nextInt(span);
                int len = Math.min(1 + rnd.nextInt(16), m.length - at);
                for (int k = 0; k < len; k++) {
                    m[at + k] = (byte) rnd.nextInt(256);
                }
            }
        }
        return m;
    }
}
