package org.ristretto.core.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.quant.GgmlType;

/** Each defect of a file gives a GgufFormatException naming the file, the offset and what was expected. */
class GgufBadInputTest {
    @TempDir
    Path dir;

    /** magic, version, 1 tensor, 1 pair: "k" = UINT32 7; tensor "w" F32 [4, 2] at 0. */
    private byte[] small() throws IOException {
        GgufWriter w = new GgufWriter().putUInt32("k", 7);
        w.addTensor("w", GgmlType.F32, new long[] {4, 2}, GgufTestFiles.patterned(32, 3));
        return GgufTestFiles.bytesOf(w, dir, "small.gguf");
    }

    // Offsets in small(): 0 magic, 4 version, 8 tensor count, 16 kv count, 24 key length, 32 "k", 33 value type,
    // 37 value, 41 tensor name length, 49 "w", 50 rank, 54 dim0, 62 dim1, 70 type, 74 offset, 82 end of header.
    private static final int KEY_LEN = 24;
    private static final int VALUE_TYPE = 33;
    private static final int TENSOR_NAME_LEN = 41;
    private static final int RANK = 50;
    private static final int DIM0 = 54;
    private static final int TYPE = 70;
    private static final int OFFSET = 74;

    private static byte[] withLong(byte[] b, int at, long v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
        return c;
    }

    private static byte[] withInt(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return c;
    }

    private GgufFormatException failsOnFile(byte[] content, String expectedText) throws IOException {
        Path p = Files.write(dir.resolve("bad.gguf"), content);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString() + ": at byte "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedText), () -> "'" + e.getMessage() + "' lacks '" + expectedText + "'");
        return e;
    }

    @Test
    void theLayoutAssumedByTheseTestsHolds() throws IOException {
        byte[] b = small();
        assertEquals(1, b[32] == 'k' ? 1 : 0);
        assertEquals('w', b[49]);
        try (GgufFile f = GgufTestFiles.parse(b)) {
            assertEquals(7, f.metadata().getInt("k"));
        }
    }

    @Test
    void aDirectoryIsNamedAsOne(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> GgufFile.open(dir));
        assertEquals(dir + " is a directory, not a GGUF file", e.getMessage());
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] b = small();
        b[0] = 'X';
        assertEquals(0, failsOnFile(b, "expected the magic 'GGUF'").offset());
    }

    @Test
    void unknownVersionAndBigEndian() throws IOException {
        assertEquals(4, failsOnFile(withInt(small(), 4, 4), "unsupported GGUF version 4, expected 2 or 3").offset());
        failsOnFile(withInt(small(), 4, Integer.reverseBytes(3)), "big-endian");
        failsOnFile(withInt(small(), 4, 1), "unsupported GGUF version 1");
    }

    @Test
    void everyTruncationOfTheHeaderAndData() throws IOException {
        byte[] b = small();
        for (int len = 0; len < b.length; len++) {
            byte[] cut = Arrays.copyOf(b, len);
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufTestFiles.parse(cut),
                    "truncated to " + len);
            assertTrue(e.offset() <= len, e.getMessage());
        }
        failsOnFile(Arrays.copyOf(b, b.length - 1), "tensor 'w' needs bytes 0 to 32");
    }

    @Test
    void hugeLengthsAndCountsFailBeforeAllocating() throws IOException {
        failsOnFile(withLong(small(), KEY_LEN, Long.MAX_VALUE), "only");
        failsOnFile(withLong(small(), KEY_LEN, -1L), "18446744073709551615");
        failsOnFile(withLong(small(), 8, 1L << 40), "tensor count 1099511627776 cannot fit");
        failsOnFile(withLong(small(), 16, -1L), "metadata count 18446744073709551615 cannot fit");
        failsOnFile(withLong(small(), TENSOR_NAME_LEN, 1L << 33), "the length of the name of tensor #0");
        // An array whose element count is far larger than the file.
        GgufWriter w = new GgufWriter().putArray("a", GgufArray.ofInts(1, 2));
        byte[] arr = GgufTestFiles.bytesOf(w, dir, "arr.gguf");
        int countAt = 24 + 8 + 1 + 4 + 4; // key length, "a", value type, element type
        failsOnFile(withLong(arr, countAt, 1L << 60), "array 'a' claims 1152921504606846976 elements");
    }

    @Test
    void badTensorInfos() throws IOException {
        failsOnFile(withInt(small(), RANK, 5), "has 5 dimensions; expected 1 to 4");
        failsOnFile(withInt(small(), RANK, 0), "has 0 dimensions");
        failsOnFile(withInt(small(), TYPE, 99), "unknown ggml type id 99");
        failsOnFile(withInt(small(), TYPE, GgmlType.Q8_0.id()), "not a multiple of its block size 32");
        failsOnFile(withLong(small(), DIM0, 0), "dimension 0 = 0");
        failsOnFile(withLong(small(), DIM0, 1L << 62), "fits in a 64-bit element count");
        failsOnFile(withLong(small(), DIM0, 1L << 40), "needs bytes 0 to 8796093022208");
        failsOnFile(withLong(small(), OFFSET, 3), "is not a multiple of the alignment 32");
        failsOnFile(withLong(small(), OFFSET, 1L << 40), "needs bytes 1099511627776");
        failsOnFile(withLong(small(), DIM0, -4), "is not a positive size");
    }

    @Test
    void overlappingAndDuplicateTensors() throws IOException {
        GgufWriter w = new GgufWriter();
        w.addTensor("a", GgmlType.F32, new long[] {16}, GgufTestFiles.patterned(64, 1));
        w.addTensor("b", GgmlType.F32, new long[] {16}, GgufTestFiles.patterned(64, 2));
        byte[] b = GgufTestFiles.bytesOf(w, dir, "two.gguf");
        // The second tensor info ends with its offset (64): point it into the first tensor.
        int secondOffsetAt = 24 + (8 + 1 + 4 + 8 + 4 + 8) + (8 + 1 + 4 + 8 + 4);
        assertEquals(64, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(secondOffsetAt));
        failsOnFile(withLong(b, secondOffsetAt, 32), "overlaps tensor 'a'");
        byte[] dup = b.clone();
        int secondNameAt = 24 + (8 + 1 + 4 + 8 + 4 + 8) + 8;
        assertEquals('b', dup[secondNameAt]);
        dup[secondNameAt] = 'a';
        failsOnFile(dup, "duplicate tensor name 'a'");
    }

    @Test
    void badMetadataValues() throws IOException {
        failsOnFile(withInt(small(), VALUE_TYPE, 13), "unknown metadata value type id 13");
        GgufWriter w = new GgufWriter().putBool("flag", true);
        byte[] b = GgufTestFiles.bytesOf(w, dir, "bool.gguf");
        b[24 + 8 + 4 + 4] = 2;
        failsOnFile(b, "is a BOOL but holds byte 2");
        GgufWriter al = new GgufWriter().putUInt32("general.alignment", 32);
        byte[] a = GgufTestFiles.bytesOf(al, dir, "al.gguf");
        failsOnFile(withInt(a, 24 + 8 + 17 + 4, 3), "general.alignment 3 is not a power of two");
    }

    @Test
    void deeplyNestedArraysAreRejected() throws IOException {
        GgufArray a = GgufArray.ofInts(1);
        for (int i = 0; i < 9; i++) {
            a = new GgufArray(GgufValueType.ARRAY, new GgufArray[] {a});
        }
        byte[] b = GgufTestFiles.bytesOf(new GgufWriter().putArray("deep", a), dir, "deep.gguf");
        failsOnFile(b, "nests arrays deeper than 8");
    }

    @Test
    void missingKeysAndWrongTypesNameTheKey() throws IOException {
        try (GgufFile f = GgufTestFiles.parse(small())) {
            GgufMetadataException missing = assertThrows(GgufMetadataException.class,
                    () -> f.metadata().getString("general.architecture"));
            assertTrue(missing.getMessage().contains("'general.architecture' is missing"), missing.getMessage());
            GgufMetadataException wrong = assertThrows(GgufMetadataException.class, () -> f.metadata().getString("k"));
            assertTrue(wrong.getMessage().contains("'k' should be STRING but is UINT32"), wrong.getMessage());
            assertThrows(GgufMetadataException.class, () -> f.tensor("nope"));
        }
    }
}
