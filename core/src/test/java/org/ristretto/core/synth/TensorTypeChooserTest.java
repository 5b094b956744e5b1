package org.ristretto.core.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.testutil.SharedModels;

/**
 * The per-tensor types of llama.cpp's mixes. Expected layers are worked out by hand from llama-quant.cpp's
 * {@code use_more_bits} (first and last eighth of the layers, and every third one from the first eighth on).
 */
class TensorTypeChooserTest {
    private static final long[] SQUARE = {2048, 2048};

    private static GgmlType type(TensorTypeChooser c, String name, long... dims) {
        return c.typeOf(name, dims, GgmlType.F32);
    }

    @Test
    void q4KMediumOnLlama32OneB() {
        var c = TensorTypeChooser.forPreset(SynthPreset.LLAMA_3_2_1B, LlamaFileType.MOSTLY_Q4_K_M, false);
        // 16 layers: the first eighth is 0-1, the last 14-15, and (i - 2) % 3 == 2 picks 4, 7, 10, 13.
        Set<Integer> moreBits = Set.of(0, 1, 4, 7, 10, 13, 14, 15);
        for (int i = 0; i < 16; i++) {
            GgmlType expected = moreBits.contains(i) ? GgmlType.Q6_K : GgmlType.Q4_K;
            assertEquals(expected, type(c, "blk." + i + ".attn_v.weight", 2048, 512), "attn_v " + i);
            assertEquals(expected, type(c, "blk." + i + ".ffn_down.weight", 8192, 2048), "ffn_down " + i);
            for (String other : List.of("attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up")) {
                assertEquals(GgmlType.Q4_K, type(c, "blk." + i + "." + other + ".weight", SQUARE), other + " " + i);
            }
            assertEquals(GgmlType.F32, type(c, "blk." + i + ".attn_norm.weight", 2048));
        }
        assertEquals(GgmlType.Q6_K, type(c, "token_embd.weight", 2048, 128256), "tied embedding acts as output");
        assertEquals(GgmlType.F32, type(c, "rope_freqs.weight", 32));
        assertEquals(GgmlType.F32, type(c, "output_norm.weight", 2048));
    }

    @Test
    void q4KMediumOnLlama31EightBKeepsTheUntiedEmbeddingAtTheBaseType() {
        var c = TensorTypeChooser.forPreset(SynthPreset.LLAMA_3_1_8B, LlamaFileType.MOSTLY_Q4_K_M, false);
        // 32 layers: 0-3, 28-31, and (i - 4) % 3 == 2: 6, 9, ..., 27.
        for (int i = 0; i < 32; i++) {
            boolean more = i < 4 || i >= 28 || (i - 4) % 3 == 2;
            assertEquals(more ? GgmlType.Q6_K : GgmlType.Q4_K, type(c, "blk." + i + ".ffn_down.weight", 14336, 4096));
        }
        assertEquals(GgmlType.Q4_K, type(c, "token_embd.weight", 4096, 128256));
        assertEquals(GgmlType.Q6_K, type(c, "output.weight", 4096, 128256));
    }

    @Test
    void legacyTypesRaiseOnlyTheOutput() {
        var q40 = TensorTypeChooser.forPreset(SynthPreset.LLAMA_3_2_1B, LlamaFileType.MOSTLY_Q4_0, false);
        assertEquals(GgmlType.Q6_K, type(q40, "token_embd.weight", 2048, 128256));
        assertEquals(GgmlType.Q4_0, type(q40, "blk.0.attn_v.weight", 2048, 512));
        assertEquals(GgmlType.Q4_0, type(q40, "blk.15.ffn_down.weight", 8192, 2048));
        var q80 = TensorTypeChooser.forPreset(SynthPreset.LLAMA_3_2_1B, LlamaFileType.MOSTLY_Q8_0, false);
        assertEquals(GgmlType.Q8_0, type(q80, "token_embd.weight", 2048, 128256));
        var pure = TensorTypeChooser.forPreset(SynthPreset.LLAMA_3_2_1B, LlamaFileType.MOSTLY_Q4_0, true);
        assertEquals(GgmlType.Q4_0, type(pure, "token_embd.weight", 2048, 128256));
    }

    @Test
    void floatTypesConvertEveryMatrixAndKeepNormsF32() {
        var c = TensorTypeChooser.forPreset(SynthPreset.QWEN3_0_6B, LlamaFileType.MOSTLY_F16, false);
        assertEquals(GgmlType.F16, type(c, "token_embd.weight", 1024, 151936));
        assertEquals(GgmlType.F16, type(c, "blk.3.ffn_down.weight", 3072, 1024));
        assertEquals(GgmlType.F32, type(c, "blk.3.attn_q_norm.weight", 128));
    }

    @Test
    void otherMixes() {
        var q3m = TensorTypeChooser.forPreset(SynthPreset.LLAMA_3_2_3B, LlamaFileType.MOSTLY_Q3_K_M, false);
        assertEquals(GgmlType.Q5_K, type(q3m, "blk.1.attn_v.weight", 3072, 1024));
        assertEquals(GgmlType.Q4_K, type(q3m, "blk.2.attn_v.weight", 3072, 1024));
        assertEquals(GgmlType.Q5_K, type(q3m, "blk.0.ffn_down.weight", 8192, 3072), "28 / 16 = 1 layer at Q5_K");
        assertEquals(GgmlType.Q4_K, type(q3m, "blk.1.ffn_down.weight", 8192, 3072));
        assertEquals(GgmlType.Q4_K, type(q3m, "blk.9.attn_output.weight", 3072, 3072));
        assertEquals(GgmlType.Q3_K, type(q3m, "blk.9.attn_q.weight", 3072, 3072));
        var q4s = TensorTypeChooser.forPreset(SynthPreset.LLAMA_3_2_3B, LlamaFileType.MOSTLY_Q4_K_S, false);
        assertEquals(GgmlType.Q5_K, type(q4s, "blk.3.attn_v.weight", 3072, 1024));
        assertEquals(GgmlType.Q4_K, type(q4s, "blk.4.attn_v.weight", 3072, 1024));
        assertEquals(GgmlType.Q5_K, type(q4s, "blk.2.ffn_down.weight", 8192, 3072), "28 / 8 = 3 layers at Q5_K");
        assertEquals(GgmlType.Q4_K, type(q4s, "blk.3.ffn_down.weight", 8192, 3072));
        var q2 = TensorTypeChooser.forPreset(SynthPreset.LLAMA_3_2_3B, LlamaFileType.MOSTLY_Q2_K, false);
        assertEquals(GgmlType.Q3_K, type(q2, "blk.5.attn_v.weight", 3072, 1024), "24 / 8 = 3 heads per KV head");
        assertEquals(GgmlType.Q3_K, type(q2, "blk.5.ffn_down.weight", 8192, 3072));
        assertEquals(GgmlType.Q2_K, type(q2, "blk.5.ffn_up.weight", 3072, 8192));
        var q2l = TensorTypeChooser.forPreset(SynthPreset.LLAMA_3_2_1B, LlamaFileType.MOSTLY_Q2_K, false);
        assertEquals(GgmlType.Q4_K, type(q2l, "blk.5.attn_v.weight", 2048, 512), "32 / 8 = 4 heads per KV head");
    }

    @Test
    void rowsThatABlockDoesNotDivideFallBackAsLlamaCppDoes() {
        var c = new TensorTypeChooser(LlamaFileType.MOSTLY_Q4_K_M, 4, 2, false, false);
        assertEquals(GgmlType.Q5_0, type(c, "blk.1.ffn_up.weight", 320, 256), "Q4_K -> Q5_0");
        assertEquals(GgmlType.Q8_0, type(c, "blk.3.ffn_down.weight", 320, 256), "Q6_K -> Q8_0");
        assertEquals(GgmlType.F16, type(c, "blk.1.ffn_up.weight", 48, 256), "no 32-block either: F16");
        assertEquals(GgmlType.Q8_0, type(c, "output.weight", 320, 512), "output rows not a Q4_K multiple: Q8_0");
        var q40 = new TensorTypeChooser(LlamaFileType.MOSTLY_Q4_0, 4, 2, false, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> type(q40, "blk.0.ffn_up.weight", 48, 256));
        assertTrue(e.getMessage().contains("blk.0.ffn_up.weight"), e.getMessage());
    }

    @Test
    void matchesTheTypesLlamaQuantizeWroteForQwen3TinyQ8() throws IOException {
        // arch/qwen3-tiny-q8_0.gguf was made by llama.cpp's own llama-quantize (see shared/models/SOURCES.md).
        try (GgufFile f = GgufFile.open(SharedModels.require("arch/qwen3-tiny-q8_0.gguf"))) {
            var c = new TensorTypeChooser(LlamaFileType.MOSTLY_Q8_0, 2, 2, false, false);
            for (GgufTensorInfo t : f.tensors()) {
                assertEquals(t.type(), c.typeOf(t.name(), t.dims(), GgmlType.F32), t.name());
            }
            assertEquals(LlamaFileType.MOSTLY_Q8_0.id(), f.metadata().getInt("general.file_type"));
        }
    }

    @Test
    void fileTypeNamesAreLlamaQuantizes() {
        assertEquals(LlamaFileType.MOSTLY_Q4_K_M, LlamaFileType.fromCliName("Q4_K_M"));
        assertEquals(15, LlamaFileType.fromCliName("q4_k_m").id());
        assertEquals("f32", LlamaFileType.ALL_F32.cliName());
        assertThrows(IllegalArgumentException.class, () -> LlamaFileType.fromCliName("iq2_xxs"));
    }
}
