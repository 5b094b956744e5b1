package org.ristretto.cpu.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.backend.BackendOptions;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.model.ContextOverflowException;
import org.ristretto.core.model.ModelConfig;
import org.ristretto.core.model.ModelFormatException;
import org.ristretto.core.model.ModelWeights;
import org.ristretto.core.model.Transformer;
import org.ristretto.core.model.TransformerOptions;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.testutil.GgufRewrite;
import org.ristretto.cpu.CpuBackend;
import org.ristretto.cpu.CpuBackendProvider;

/** Files that do not describe a runnable model, and calls a model cannot serve, fail with messages that say why. */
class ModelBadInputTest {
    @TempDir
    static Path dir;
    private static Path good;
    private static CpuBackend backend;

    @BeforeAll
    static void setUp() throws IOException {
        backend = (CpuBackend) new CpuBackendProvider().open(new BackendOptions(0, 2));
        good = dir.resolve("qwen2.gguf");
        new TinyModel("qwen2", 64, 2, 4, 2, 16, 96, 101, 64, 1e6f, 0, null, 0f, 0, false, false, GgmlType.F32, 11)
                .write(good, new HashMap<>());
    }

    @AfterAll
    static void tearDown() {
        backend.close();
    }

    /** A copy of the good file in which {@code change} may drop (null) or reshape tensors. */
    private static Path rewrite(String name, BiFunction<GgufTensorInfo, GgufFile, long[]> change) throws IOException {
        return GgufRewrite.rewrite(good, dir.resolve(name), w -> w, change);
    }

    private static ModelFormatException loadFails(Path file) throws IOException {
        try (GgufFile f = GgufFile.open(file)) {
            return assertThrows(ModelFormatException.class, () -> ModelWeights.load(f, ModelConfig.read(f), backend));
        }
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path file = rewrite("missing.gguf", (t, f) -> t.name().equals("blk.1.ffn_up.weight") ? null : t.dims());
        ModelFormatException e = loadFails(file);
        assertTrue(e.getMessage().contains("'blk.1.ffn_up.weight' is missing"), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void missingRequiredBiasIsNamed() throws IOException {
        ModelFormatException e = loadFails(rewrite("nobias.gguf",
                (t, f) -> t.name().equals("blk.0.attn_k.bias") ? null : t.dims()));
        assertTrue(e.getMessage().contains("'blk.0.attn_k.bias' is missing"), e.getMessage());
    }

    @Test
    void wrongShapeIsNamed() throws IOException {
        // the same bytes with the dimensions swapped
        ModelFormatException e = loadFails(rewrite("shape.gguf", (t, f) -> t.name().equals("blk.0.ffn_gate.weight")
                ? new long[] {96, 64} : t.dims()));
        assertTrue(e.getMessage().contains("'blk.0.ffn_gate.weight' has shape [96, 64], expected [64, 96]"),
                e.getMessage());
    }

    @Test
    void promptLongerThanTheContextIsRejected() throws IOException {
        try (GgufFile f = GgufFile.open(good);
             ModelWeights weights = ModelWeights.load(f, ModelConfig.read(f), backend);
             Transformer model = new Transformer(weights, TransformerOptions.defaults().withContextLength(16))) {
            assertEquals(16, model.contextLength());
            ContextOverflowException e = assertThrows(ContextOverflowException.class,
                    () -> model.forward(new int[17], 0, false));
            assertTrue(e.getMessage().contains("17") && e.getMessage().contains("16"), e.getMessage());
            model.forward(new int[10], 0, false);
            assertThrows(ContextOverflowException.class, () -> model.forwardGreedy(new int[7], 10));
            assertEquals(101, model.forward(new int[6], 10, false).length, "filling the context exactly is fine");
            IllegalArgumentException badId = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(new int[] {3, 101}, 0, false));
            assertTrue(badId.getMessage().contains("101"), badId.getMessage());
            assertThrows(IllegalArgumentException.class, () -> model.forward(new int[0], 0, false));
        }
    }

    @Test
    void defaultContextIsTheModelsUpTo4096() throws IOException {
        try (GgufFile f = GgufFile.open(good);
             ModelWeights weights = ModelWeights.load(f, ModelConfig.read(f), backend);
             Transformer model = new Transformer(weights, TransformerOptions.defaults())) {
            assertEquals(64, model.contextLength());
        }
        assertEquals(4096, TransformerOptions.defaults().resolveContextLength(131072));
    }
}
