package org.ristretto.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.backend.RopeLayout;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufMetadataException;
import org.ristretto.core.gguf.GgufWriter;
import org.ristretto.core.quant.GgmlType;

/** Reading hyperparameters from GGUF metadata, and the errors for what cannot be run. */
class ModelConfigTest {
    @TempDir
    Path dir;

    /** A minimal file: the keys of {@code arch} for a 64-wide, 4-head model, and a 64 × 50 token embedding. */
    private ModelConfig read(String arch, Consumer<GgufWriter> edit) throws IOException {
        GgufWriter w = new GgufWriter();
        String p = arch + ".";
        w.putString("general.architecture", arch);
        w.putUInt32(p + "context_length", 2048);
        w.putUInt32(p + "embedding_length", 64);
        w.putUInt32(p + "block_count", 3);
        w.putUInt32(p + "feed_forward_length", 160);
        w.putUInt32(p + "attention.head_count", 4);
        w.putFloat32(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        w.addTensor("token_embd.weight", GgmlType.F32, new long[] {64, 50},
                Arena.ofAuto().allocate(GgmlType.F32.byteSize(64 * 50)));
        edit.accept(w);
        Path file = dir.resolve("m.gguf");
        w.write(file);
        try (GgufFile f = GgufFile.open(file)) {
            return ModelConfig.read(f);
        }
    }

    @Test
    void llamaDefaults() throws IOException {
        ModelConfig c = read("llama", w -> { });
        assertEquals(Architecture.LLAMA, c.architecture());
        assertEquals(4, c.headCountKv(), "KV heads default to the head count");
        assertEquals(16, c.headDim());
        assertEquals(50, c.vocabSize());
        assertEquals(2048, c.contextLength());
        assertEquals(RopeLayout.NORMAL, c.rope().layout());
        assertEquals(16, c.rope().dims());
        assertEquals(10000f, c.rope().freqBase());
        assertEquals(1f, c.rope().freqScale());
        assertEquals(0f, c.rope().extFactor());
        assertEquals(1f, c.rope().attnFactor());
        assertEquals((float) (1 / Math.sqrt(16)), c.attentionScale());
    }

    @Test
    void qwen3HeadSizeComesFromKeyLength() throws IOException {
        ModelConfig c = read("qwen3", w -> {
            w.putUInt32("qwen3.attention.head_count_kv", 2);
            w.putUInt32("qwen3.attention.key_length", 32);
            w.putUInt32("qwen3.attention.value_length", 32);
            w.putFloat32("qwen3.rope.freq_base", 1e6f);
        });
        assertEquals(32, c.headDim());
        assertEquals(128, c.queryLength());
        assertEquals(64, c.kvLength());
        assertEquals(RopeLayout.NEOX, c.rope().layout());
        assertEquals(1e6f, c.rope().freqBase());
        assertTrue(c.architecture().hasQkNorm());
    }

    @Test
    void linearAndYarnScaling() throws IOException {
        ModelConfig linear = read("llama", w -> {
            w.putString("llama.rope.scaling.type", "linear");
            w.putFloat32("llama.rope.scaling.factor", 4f);
        });
        assertEquals(0.25f, linear.rope().freqScale());
        assertEquals(0f, linear.rope().extFactor());
        ModelConfig yarn = read("qwen2", w -> {
            w.putString("qwen2.rope.scaling.type", "yarn");
            w.putFloat32("qwen2.rope.scaling.factor", 4f);
            w.putUInt32("qwen2.rope.scaling.original_context_length", 512);
        });
        assertEquals(0.25f, yarn.rope().freqScale());
        assertEquals(1f, yarn.rope().extFactor());
        assertEquals(512, yarn.rope().originalContext());
        assertEquals(32f, yarn.rope().betaFast());
        assertEquals(1f, yarn.rope().betaSlow());
        // ggml multiplies by 1 + 0.1 ln 4 itself; the factor that cancels it against get_mscale(4) is 1
        assertEquals(1f, yarn.rope().attnFactor(), 1e-6f);
        ModelConfig none = read("llama", w -> {
            w.putString("llama.rope.scaling.type", "none");
            w.putFloat32("llama.rope.scaling.factor", 4f);
        });
        assertEquals(1f, none.rope().freqScale());
    }

    @Test
    void unknownArchitectureIsNamed() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> read("gpt2", w -> { }));
        assertTrue(e.getMessage().contains("'gpt2'") && e.getMessage().contains("llama, qwen2, qwen3"),
                e.getMessage());
    }

    @Test
    void missingAndIllTypedKeysAreNamed() {
        GgufMetadataException missing = assertThrows(GgufMetadataException.class,
                () -> read("llama", w -> w.remove("llama.block_count")));
        assertTrue(missing.getMessage().contains("llama.block_count"), missing.getMessage());
        GgufMetadataException wrongType = assertThrows(GgufMetadataException.class,
                () -> read("llama", w -> w.putString("llama.attention.head_count", "four")));
        assertTrue(wrongType.getMessage().contains("llama.attention.head_count"), wrongType.getMessage());
    }

    @Test
    void inconsistentValuesAreRejected() {
        assertMessage(() -> read("llama", w -> w.putUInt32("llama.attention.head_count_kv", 3)),
                "llama.attention.head_count_kv");
        assertMessage(() -> read("llama", w -> w.putUInt32("llama.embedding_length", 0)), "llama.embedding_length");
        assertMessage(() -> read("llama", w -> w.putUInt32("llama.rope.dimension_count", 8)),
                "llama.rope.dimension_count");
        assertMessage(() -> read("llama", w -> w.putString("llama.rope.scaling.type", "longrope")),
                "llama.rope.scaling.type");
        assertMessage(() -> read("llama", w -> w.putUInt32("llama.expert_count", 8)), "mixture-of-experts");
        assertMessage(() -> read("llama", w -> w.putUInt32("llama.attention.value_length", 8)),
                "llama.attention.value_length");
        assertMessage(() -> read("llama", w -> w.putUInt32("llama.vocab_size", 51)), "llama.vocab_size");
    }

    @Test
    void tokenEmbeddingIsRequiredAndShaped() throws IOException {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putUInt32("llama.context_length", 16);
        w.putUInt32("llama.embedding_length", 64);
        w.putUInt32("llama.block_count", 1);
        w.putUInt32("llama.feed_forward_length", 16);
        w.putUInt32("llama.attention.head_count", 4);
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        Path file = dir.resolve("none.gguf");
        w.write(file);
        try (GgufFile f = GgufFile.open(file)) {
            assertMessage(() -> ModelConfig.read(f), "token_embd.weight' is missing");
        }
        w.addTensor("token_embd.weight", GgmlType.F32, new long[] {32, 50},
                Arena.ofAuto().allocate(GgmlType.F32.byteSize(32 * 50)));
        Path wrong = dir.resolve("wrong.gguf");
        w.write(wrong);
        try (GgufFile f = GgufFile.open(wrong)) {
            assertMessage(() -> ModelConfig.read(f), "token_embd.weight' has shape [32, 50], expected [64,");
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        ModelFormatException e = assertThrows(ModelFormatException.class, call);
        assertTrue(e.getMessage().contains(part), "message should mention " + part + ": " + e.getMessage());
    }
}
