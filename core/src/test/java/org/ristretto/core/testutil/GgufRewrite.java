package org.ristretto.core.testutil;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.ristretto.core.gguf.GgufFile;
import org.ristretto.core.gguf.GgufTensorInfo;
import org.ristretto.core.gguf.GgufWriter;

/** Writes a changed copy of a GGUF file, for tests of what a model with a missing key or tensor does. */
public final class GgufRewrite {
    private GgufRewrite() {}

    /**
     * Copies {@code source} to {@code out}: its metadata as {@code metadata} leaves it, and each tensor with the
     * dimensions {@code dims} gives it (its own to keep it as it is, null to drop it).
     *
     * @return {@code out}
     */
    public static Path rewrite(Path source, Path out, UnaryOperator<GgufWriter> metadata,
            BiFunction<GgufTensorInfo, GgufFile, long[]> dims) throws IOException {
        try (GgufFile src = GgufFile.open(source)) {
            GgufWriter w = metadata.apply(new GgufWriter().putAll(src.metadata()));
            for (GgufTensorInfo t : src.tensors()) {
                long[] d = dims.apply(t, src);
                if (d != null) {
                    w.addTensor(t.name(), t.type(), d, src.tensorData(t));
                }
            }
            w.write(out);
        }
        return out;
    }
}
