package org.ristretto.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.quant.GgmlType;
import org.ristretto.core.synth.LlamaFileType;
import org.ristretto.core.synth.SynthPreset;
import org.ristretto.core.synth.SyntheticModelWriter;

/** llama.cpp, the outside judge, accepts Ristretto's synthetic models: metadata, tensor shapes, types and blocks. */
class SyntheticModelInLlamaCppTest {
    @TempDir
    Path dir;

    @Test
    void llamaCppLoadsAndRunsSyntheticTinyLlamaInThreeTypes() throws IOException {
        Path vocab = TestData.shared("gguf/stories260K-f32.gguf");
        TestData.assumeLlamaCpp();
        String[][] cases = {{"q4_0", "Q4_0"}, {"q8_0", "Q8_0"}, {"q4_k_m", "Q4_K - Medium"}};
        for (String[] c : cases) {
            Path out = dir.resolve("tiny-" + c[0] + ".gguf");
            var options = new SyntheticModelWriter.Options(SynthPreset.TINY_LLAMA, LlamaFileType.fromCliName(c[0]),
                    9, 2, false);
            SyntheticModelWriter.Result written;
            try (GgufFile v = GgufFile.open(vocab)) {
                written = SyntheticModelWriter.write(options, v, out, null);
            }
            try (LlamaCppModel m = LlamaCppModel.open(out);
                 LlamaCppContext ctx = m.newContext(new LlamaCppContext.Options(64, 64, 64, 1, true, GgmlType.F16))) {
                assertTrue(m.description().endsWith(c[1]), c[0] + ": llama.cpp reads the file type as "
                        + m.description());
                long bytes = written.tensors().stream().mapToLong(SyntheticModelWriter.TensorPlan::bytes).sum();
                assertEquals(bytes, m.sizeBytes(), c[0] + ": tensor bytes");
                assertEquals(512, m.vocabSize());
                var g = LlamaCppReference.generate(ctx, new int[] {1, 300, 301}, 8, false, 0);
                assertEquals(8, g.ids().length);
                float[] logits = ctx.logits(-1);
                double sq = 0;
                for (float x : logits) {
                    assertTrue(Float.isFinite(x), c[0] + ": a logit is not finite");
                    sq += x * x;
                }
                // Tied embeddings of deviation 1/sqrt(dim) over a unit-RMS state: logits of about unit RMS.
                double rms = Math.sqrt(sq / logits.length);
                assertTrue(rms > 0.2 && rms < 5, c[0] + ": logit RMS " + rms);
            }
        }
    }
}
