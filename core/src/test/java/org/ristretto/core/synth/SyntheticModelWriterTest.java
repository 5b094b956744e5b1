package org.ristretto.core.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufMetadata;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.quant.QuantFormats;
import org.ristretto.core.testutil.SharedModels;

class SyntheticModelWriterTest {
    @TempDir
    Path dir;

    private SyntheticModelWriter.Result write(SynthPreset p, LlamaFileType t, long seed, int threads, Path vocab,
                                              Path out) throws IOException {
        try (GgufFile v = GgufFile.open(vocab)) {
            return SyntheticModelWriter.write(new SyntheticModelWriter.Options(p, t, seed, threads, false), v, out,
                    null);
        }
    }

    @Test
    void tinyLlamaQ4KMediumHasLlamaMetadataTheVocabularyAndTheMix() throws IOException {
        Path vocab = SharedModels.require("gguf/stories260K-f32.gguf");
        Path out = dir.resolve("tiny.gguf");
        SyntheticModelWriter.Result r = write(SynthPreset.TINY_LLAMA, LlamaFileType.MOSTLY_Q4_K_M, 7, 2, vocab, out);
        assertEquals(Files.size(out), r.fileBytes());
        try (GgufFile f = GgufFile.open(out); GgufFile v = GgufFile.open(vocab)) {
            GgufMetadata m = f.metadata();
            assertEquals("llama", f.architecture());
            assertEquals(256, m.getInt("llama.embedding_length"));
            assertEquals(4, m.getInt("llama.block_count"));
            assertEquals(768, m.getInt("llama.feed_forward_length"));
            assertEquals(4, m.getInt("llama.attention.head_count"));
            assertEquals(2, m.getInt("llama.attention.head_count_kv"));
            assertEquals(64, m.getInt("llama.rope.dimension_count"));
            assertEquals(500000f, m.getFloat("llama.rope.freq_base"));
            assertEquals(1e-5f, m.getFloat("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(512, m.getInt("llama.vocab_size"));
            assertEquals(15, m.getInt("general.file_type"));
            for (String key : v.metadata().keys()) {
                if (key.startsWith("tokenizer.")) {
                    assertEquals(v.metadata().require(key), m.require(key), key);
                }
            }
            // 4 layers: use_more_bits picks 2 ((2 - 0) % 3 == 2) and 3 (the last eighth starts at 7 * 4 / 8 = 3).
            for (int i = 0; i < 4; i++) {
                GgmlType more = i >= 2 ? GgmlType.Q6_K : GgmlType.Q4_K;
                assertEquals(more, f.tensor("blk." + i + ".attn_v.weight").type());
                assertEquals(more, f.tensor("blk." + i + ".ffn_down.weight").type());
                assertEquals(GgmlType.Q4_K, f.tensor("blk." + i + ".attn_q.weight").type());
            }
            assertEquals(GgmlType.Q6_K, f.tensor("token_embd.weight").type());
            assertTrue(f.findTensor("output.weight").isEmpty(), "tied: no output tensor");
            GgufTensorInfo rope = f.tensor("rope_freqs.weight");
            assertArrayEquals(new long[] {32}, rope.dims());
            float[] factors = new float[32];
            QuantFormats.of(GgmlType.F32).dequantize(f.tensorData(rope), 0, factors, 0, 32);
            assertArrayEquals(SynthTensor.ropeFactors(SynthPreset.TINY_LLAMA), factors);
            assertEquals(1f, factors[0], "the fastest frequencies are not scaled");
            assertEquals(32f, factors[31], "the slowest are divided by the factor");
        }
    }

    @Test
    void weightsHaveTheIntendedScaleAfterQuantization() throws IOException {
        Path out = dir.resolve("tiny.gguf");
        write(SynthPreset.TINY_LLAMA, LlamaFileType.MOSTLY_Q8_0, 3, 2, SharedModels.require("gguf/stories260K-f32.gguf"),
                out);
        try (GgufFile f = GgufFile.open(out)) {
            checkDeviation(f, "blk.1.attn_q.weight", 1 / Math.sqrt(256));
            checkDeviation(f, "blk.1.ffn_down.weight", 1 / Math.sqrt(768) / Math.sqrt(8));
            checkDeviation(f, "token_embd.weight", 1 / Math.sqrt(256));
            float[] ones = new float[256];
            QuantFormats.of(GgmlType.F32).dequantize(f.tensorData("blk.0.ffn_norm.weight"), 0, ones, 0, 256);
            for (float x : ones) {
                assertEquals(1f, x);
            }
        }
    }

    private static void checkDeviation(GgufFile f, String name, double expected) {
        GgufTensorInfo t = f.tensor(name);
        int n = Math.toIntExact(t.elementCount());
        float[] x = new float[n];
        QuantFormats.of(t.type()).dequantize(f.tensorData(t), 0, x, 0, n);
        double sum = 0;
        double sq = 0;
        for (float v : x) {
            assertTrue(Float.isFinite(v));
            sum += v;
            sq += (double) v * v;
        }
        double mean = sum / n;
        double sd = Math.sqrt(sq / n - mean * mean);
        assertEquals(0, mean, 5 * expected / Math.sqrt(n), name + " mean");
        assertEquals(expected, sd, 0.02 * expected, name + " deviation");
    }

    @Test
    void bytesDependOnTheSeedButNotOnTheThreadCount() throws IOException {
        Path vocab = SharedModels.require("gguf/stories260K-f32.gguf");
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        write(SynthPreset.TINY_LLAMA, LlamaFileType.MOSTLY_Q4_0, 11, 1, vocab, a);
        write(SynthPreset.TINY_LLAMA, LlamaFileType.MOSTLY_Q4_0, 11, 2, vocab, b);
        write(SynthPreset.TINY_LLAMA, LlamaFileType.MOSTLY_Q4_0, 12, 2, vocab, c);
        assertEquals(-1, Files.mismatch(a, b));
        assertTrue(Files.mismatch(a, c) >= 0);
    }

    @Test
    void qwen3HasQkNormsKeyLengthAndAPaddedVocabulary() throws IOException {
        Path vocab = SharedModels.require("gguf/stories260K-f32.gguf");
        // 600 embedding rows for a 512-token vocabulary, as Qwen3 has 151936 rows for 151669 tokens.
        SynthPreset p = new SynthPreset("pad-test", "qwen3", 256, 1, 4, 2, 128, 512, 600, 4096, 1e6f,
                Optional.empty(), 1e-6f, false, true);
        Path out = dir.resolve("q3.gguf");
        write(p, LlamaFileType.MOSTLY_Q8_0, 1, 2, vocab, out);
        try (GgufFile f = GgufFile.open(out)) {
            GgufMetadata m = f.metadata();
            assertEquals("qwen3", f.architecture());
            assertEquals(128, m.getInt("qwen3.attention.key_length"));
            assertEquals(128, m.getInt("qwen3.attention.value_length"));
            assertEquals(1e6f, m.getFloat("qwen3.rope.freq_base"));
            assertFalse(m.contains("qwen3.vocab_size"));
            String[] tokens = m.getStringArray("tokenizer.ggml.tokens");
            assertEquals(600, tokens.length);
            assertEquals("[PAD512]", tokens[512]);
            assertEquals("[PAD599]", tokens[599]);
            assertEquals(5, m.getArray("tokenizer.ggml.token_type").getLong(599), "UNUSED");
            assertEquals(600, m.getArray("tokenizer.ggml.scores").length());
            assertArrayEquals(new long[] {128}, f.tensor("blk.0.attn_q_norm.weight").dims());
            assertArrayEquals(new long[] {256, 512}, f.tensor("blk.0.attn_q.weight").dims());
            assertArrayEquals(new long[] {512, 256}, f.tensor("blk.0.attn_output.weight").dims());
            assertArrayEquals(new long[] {256, 600}, f.tensor("output.weight").dims());
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").type());
            assertTrue(f.findTensor("rope_freqs.weight").isEmpty());
        }
    }

    @Test
    void aVocabularyLargerThanTheEmbeddingIsRefused() throws IOException {
        SynthPreset small = new SynthPreset("small", "llama", 256, 1, 4, 2, 64, 256, 100, 4096, 1e4f,
                Optional.empty(), 1e-5f, true, false);
        // Resolved outside assertThrows, so that absent test data skips the test rather than failing it.
        Path vocab = SharedModels.require("gguf/stories260K-f32.gguf");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> write(small,
                LlamaFileType.MOSTLY_Q8_0, 1, 1, vocab, dir.resolve("x.gguf")));
        assertTrue(e.getMessage().contains("512 tokens do not fit the 100 embedding rows"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }

    @Test
    void presetsCarryThePublishedShapes() {
        SynthPreset p = SynthPreset.byName("Llama-3.2-1B");
        assertEquals(2048, p.embedding());
        assertEquals(16, p.layers());
        assertEquals(2048, p.queryWidth());
        assertEquals(512, p.kvWidth());
        assertEquals(32f, p.ropeScaling().orElseThrow().factor());
        assertEquals(8f, SynthPreset.LLAMA_3_1_8B.ropeScaling().orElseThrow().factor());
        assertFalse(SynthPreset.LLAMA_3_1_8B.tiedEmbeddings());
        assertEquals(2048, SynthPreset.QWEN3_0_6B.queryWidth(), "Qwen3: 16 heads of 128 > hidden 1024");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SynthPreset.byName("gpt-5"));
        assertTrue(e.getMessage().contains("llama-3.1-8b"), e.getMessage());
    }

    @Test
    void llamaThreeRopeFactorsBlendBetweenOneAndTheFactor() {
        float[] f = SynthTensor.ropeFactors(SynthPreset.LLAMA_3_2_1B);
        assertEquals(32, f.length);
        for (int i = 0; i < f.length; i++) {
            double wavelen = 2 * Math.PI * Math.pow(500000, 2.0 * i / 64);
            if (wavelen < 8192 / 4.0) {
                assertEquals(1f, f[i], "i=" + i);
            } else if (wavelen > 8192) {
                assertEquals(32f, f[i], "i=" + i);
            } else {
                double smooth = (8192 / wavelen - 1) / (4 - 1);
                assertEquals(1 / ((1 - smooth) / 32 + smooth), f[i], 1e-4 * f[i], "i=" + i);
            }
            if (i > 0) {
                assertTrue(f[i] >= f[i - 1]);
            }
        }
    }
}
