package org.ristretto.core.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.testutil.SharedModels;

/**
 * Converts stories260K and compares with the reference GGUF made by llama.cpp's gguf-py (../shared/models), and feeds
 * the converter broken inputs.
 */
class Llama2cConverterTest {
    @TempDir
    Path dir;

    private static Path checkpoint() {
        return SharedModels.require("llama2c/stories260K.bin");
    }

    private static Path tok512() {
        return SharedModels.require("llama2c/tok512.bin");
    }

    @Test
    void stories260KMatchesTheReferenceTensorByTensorAndKeyByKey() throws IOException {
        Path reference = SharedModels.require("gguf/stories260K-f32.gguf");
        Path out = dir.resolve("stories260K.gguf");
        Llama2cConfig c = Llama2cConverter.convert(checkpoint(), tok512(), out);
        assertEquals(new Llama2cConfig(64, 172, 5, 8, 4, 512, 512, true), c);

        try (GgufFile ours = GgufFile.open(out); GgufFile ref = GgufFile.open(reference)) {
            assertEquals(ref.metadata().keys().stream().toList(), ours.metadata().keys().stream().toList());
            for (String key : ref.metadata().keys()) {
                assertEquals(ref.metadata().require(key), ours.metadata().require(key), key);
            }
            assertEquals(ref.tensors().stream().map(GgufTensorInfo::name).toList(),
                    ours.tensors().stream().map(GgufTensorInfo::name).toList());
            for (GgufTensorInfo r : ref.tensors()) {
                GgufTensorInfo o = ours.tensor(r.name());
                assertArrayEquals(r.dims(), o.dims(), r.name());
                assertEquals(GgmlType.F32, o.type(), r.name());
                assertEquals(r.type(), o.type(), r.name());
                assertEquals(-1, ref.tensorData(r).mismatch(ours.tensorData(o)), r.name() + " data differs");
            }
        }
        assertEquals(-1, Files.mismatch(reference, out), "the file is byte-identical to the reference");
    }

    @Test
    void vocabularyFollowsLlamaCppsConverter() throws IOException {
        Llama2cTokenizer t = Llama2cTokenizer.read(tok512(), 512);
        assertEquals("<unk>", t.tokens()[0]);
        assertEquals("<s>", t.tokens()[1]);
        assertEquals("</s>", t.tokens()[2]);
        assertEquals("<0x0A>", t.tokens()[3 + 10]);
        assertEquals("\u2581t", t.tokens()[259], "spaces become \u2581 again");
        assertEquals(List.of(Llama2cTokenizer.UNKNOWN, Llama2cTokenizer.CONTROL, Llama2cTokenizer.CONTROL,
                Llama2cTokenizer.BYTE), Arrays.stream(t.types(), 0, 4).boxed().toList());
        assertEquals(256, Arrays.stream(t.types()).filter(x -> x == Llama2cTokenizer.BYTE).count());
        assertEquals(-1f, t.scores()[260]);
    }

    @Test
    void anUnsharedClassifierBecomesOutputWeight() throws IOException {
        byte[] bin = Files.readAllBytes(checkpoint());
        int vocab = 512;
        int dim = 64;
        ByteBuffer cls = ByteBuffer.allocate(vocab * dim * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < vocab * dim; i++) {
            cls.putFloat(i * 0.25f - 7f);
        }
        byte[] unshared = Arrays.copyOf(bin, bin.length + cls.capacity());
        System.arraycopy(cls.array(), 0, unshared, bin.length, cls.capacity());
        ByteBuffer.wrap(unshared).order(ByteOrder.LITTLE_ENDIAN).putInt(5 * 4, -vocab);
        Path in = Files.write(dir.resolve("unshared.bin"), unshared);
        Path out = dir.resolve("unshared.gguf");

        Llama2cConfig c = Llama2cConverter.convert(in, tok512(), out, "unshared test");
        assertEquals(false, c.sharedClassifier());
        try (GgufFile g = GgufFile.open(out)) {
            GgufTensorInfo output = g.tensor("output.weight");
            assertArrayEquals(new long[] {dim, vocab}, output.dims());
            assertEquals(-1, g.tensorData(output).mismatch(MemorySegment.ofArray(cls.array())));
            assertEquals("output_norm.weight", g.tensors().get(g.tensors().size() - 2).name());
            assertEquals("unshared test", g.metadata().getString("general.name"));
        }
    }

    private Llama2cFormatException convertFails(Path model, Path tokenizer) {
        Path out = dir.resolve("never.gguf");
        Llama2cFormatException e = assertThrows(Llama2cFormatException.class,
                () -> Llama2cConverter.convert(model, tokenizer, out));
        assertTrue(Files.notExists(out), "no partial output is left behind");
        return e;
    }

    private Path withHeaderField(int index, int value) throws IOException {
        byte[] bin = Files.readAllBytes(checkpoint());
        ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN).putInt(index * 4, value);
        return Files.write(dir.resolve("field" + index + ".bin"), bin);
    }

    @Test
    void aTruncatedCheckpointNamesTheFileTheArrayAndTheOffset() throws IOException {
        byte[] bin = Files.readAllBytes(checkpoint());
        Path cut = Files.write(dir.resolve("cut.bin"), Arrays.copyOf(bin, 500_000));
        Llama2cFormatException e = convertFails(cut, tok512());
        // 28 + 4 * (32768 + 320 + 20480 + 10240 + 10240 + 20480 + 320) = 379,420: w1 starts there and does not fit
        assertEquals(cut + ": at byte 379420: w1 needs bytes 379420 to 599580 but the file ends at 500000"
                + " (truncated, or the header (dim 64, hidden_dim 172, n_layers 5, n_heads 8, n_kv_heads 4,"
                + " vocab_size 512, seq_len 512) does not describe this file)", e.getMessage());
        assertEquals(379_420, e.offset());

        Path tiny = Files.write(dir.resolve("tiny.bin"), new byte[10]);
        assertTrue(convertFails(tiny, tok512()).getMessage().contains("needs 28"));
    }

    @Test
    void extraBytesOrAHeaderThatDoesNotFitTheFileAreRejected() throws IOException {
        byte[] bin = Files.readAllBytes(checkpoint());
        Path longer = Files.write(dir.resolve("longer.bin"), Arrays.copyOf(bin, bin.length + 12));
        Llama2cFormatException e = convertFails(longer, tok512());
        assertEquals(1_056_540, e.offset());
        assertTrue(e.getMessage().contains("12 bytes follow the last weight"), e.getMessage());

        Path moreLayers = withHeaderField(2, 6);
        assertTrue(convertFails(moreLayers, tok512()).getMessage().contains("but the file ends at 1056540"));
        Path hugeVocab = withHeaderField(5, Integer.MAX_VALUE);
        assertTrue(convertFails(hugeVocab, tok512()).getMessage().contains("token_embedding_table needs bytes 28 to"));
    }

    @Test
    void negativeOrInconsistentHeaderFieldsNameTheField() throws IOException {
        Llama2cFormatException dim = convertFails(withHeaderField(0, -64), tok512());
        assertEquals(0, dim.offset());
        assertTrue(dim.getMessage().endsWith("header field dim is -64, expected a positive number"), dim.getMessage());
        Llama2cFormatException layers = convertFails(withHeaderField(2, 0), tok512());
        assertEquals(8, layers.offset());
        assertTrue(layers.getMessage().contains("n_layers is 0"));
        assertTrue(convertFails(withHeaderField(4, 3), tok512()).getMessage()
                .contains("n_kv_heads is 3, expected a divisor of n_heads 8"));
        assertTrue(convertFails(withHeaderField(3, 7), tok512()).getMessage()
                .contains("n_heads is 7, expected a divisor of dim 64"));
        assertTrue(convertFails(withHeaderField(3, 64), tok512()).getMessage().contains("even head size"));
        assertTrue(convertFails(withHeaderField(0, 0x616b3432), tok512()).getMessage().contains("version-0"));
    }

    @Test
    void badTokenizersNameTheTokenAndTheOffset() throws IOException {
        byte[] tok = Files.readAllBytes(tok512());
        Path cut = Files.write(dir.resolve("cut-tok.bin"), Arrays.copyOf(tok, 3000));
        Llama2cFormatException e = convertFails(checkpoint(), cut);
        assertTrue(e.getMessage().startsWith(cut + ": at byte "), e.getMessage());

        byte[] badLength = tok.clone();
        ByteBuffer.wrap(badLength).order(ByteOrder.LITTLE_ENDIAN).putInt(4 + 4, -5); // token 0's length
        e = convertFails(checkpoint(), Files.write(dir.resolve("neg.bin"), badLength));
        assertEquals(8, e.offset());
        assertTrue(e.getMessage().contains("token 0 has length -5"), e.getMessage());

        byte[] badUtf8 = tok.clone();
        badUtf8[4 + 8] = (byte) 0xC3; // "<unk>" becomes an unfinished two-byte sequence
        e = convertFails(checkpoint(), Files.write(dir.resolve("utf8.bin"), badUtf8));
        assertEquals(12, e.offset());
        assertTrue(e.getMessage().contains("token 0 is not valid UTF-8"));

        Path bigVocab = SharedModels.require("llama2c/tokenizer.bin");
        e = convertFails(checkpoint(), bigVocab);
        assertTrue(e.getMessage().contains("holds more than the model's 512 tokens"), e.getMessage());
    }

    @Test
    void theOutputMayNotReplaceAnInput() throws IOException {
        Path copy = Files.copy(tok512(), dir.resolve("tok.bin"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cConverter.convert(checkpoint(), copy, copy));
        assertTrue(e.getMessage().contains("is an input file"));
    }
}
