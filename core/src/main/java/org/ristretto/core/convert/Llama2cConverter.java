package org.ristretto.core.convert;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.ristretto.core.gguf.GgufArray;
import org.ristretto.core.gguf.GgufValueType;
import org.ristretto.core.gguf.GgufWriter;
import org.ristretto.core.quant.GgmlType;

/**
 * Converts a llama2.c version-0 checkpoint and its tokenizer into an F32 GGUF of architecture {@code llama} that
 * Ristretto and llama.cpp load.
 *
 * <p>Tensors carry llama.cpp's names and the checkpoint's bytes unchanged (see {@link Llama2cCheckpoint}); the
 * vocabulary follows llama.cpp's convert-llama2c-to-ggml (see {@link Llama2cTokenizer}). The metadata is the set and
 * order that llama.cpp's gguf-py writer gives such a model, so converting {@code stories260K.bin} with
 * {@code tok512.bin} reproduces the reference {@code stories260K-f32.gguf} byte for byte. Compared with llama.cpp's
 * own C++ converter it records the checkpoint's {@code seq_len} as the context length (the C++ tool writes a fixed
 * 128), RoPE over the whole head (the C++ tool caps it at 64), the RoPE base, the file type and the BOS/EOS flags,
 * and leaves out a copy of a classifier that is the embedding (llama.cpp falls back to {@code token_embd} when
 * {@code output.weight} is absent).
 *
 * <p>The checkpoint is memory-mapped and its tensors are written straight from the mapping, so the model is never
 * copied onto the heap.
 */
public final class Llama2cConverter {
    /** llama2.c's RoPE base ({@code run.c} uses 10000). */
    public static final float ROPE_FREQ_BASE = 10000f;
    /** llama2.c's RMSNorm epsilon ({@code run.c} uses 1e-5). */
    public static final float RMS_NORM_EPS = 1e-5f;
    /** GGUF {@code general.file_type} for a model whose tensors are all F32 (llama.cpp's LLAMA_FTYPE_ALL_F32). */
    private static final int FILE_TYPE_ALL_F32 = 0;

    private Llama2cConverter() {}

    /**
     * Converts, naming the model after the checkpoint file (without its extension).
     *
     * @return the checkpoint's configuration
     */
    public static Llama2cConfig convert(Path checkpoint, Path tokenizer, Path out) throws IOException {
        String file = checkpoint.getFileName().toString();
        int dot = file.lastIndexOf('.');
        return convert(checkpoint, tokenizer, out, dot > 0 ? file.substring(0, dot) : file);
    }

    /**
     * Converts {@code checkpoint} and {@code tokenizer} into the GGUF file {@code out} (written whole or not at all).
     *
     * @param name the model name recorded as {@code general.name}
     * @return the checkpoint's configuration
     * @throws Llama2cFormatException if either input is not what it should be (the message names file and offset)
     * @throws IOException            if a file cannot be read or written
     */
    public static Llama2cConfig convert(Path checkpoint, Path tokenizer, Path out, String name) throws IOException {
        for (Path in : new Path[] {checkpoint, tokenizer}) {
            if (Files.exists(out) && Files.isSameFile(in, out)) {
                throw new IllegalArgumentException("the output " + out + " is an input file: choose another name");
            }
        }
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(checkpoint, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment content = size == 0 ? MemorySegment.ofArray(new byte[0])
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Llama2cCheckpoint model = Llama2cCheckpoint.read(checkpoint, content);
            Llama2cTokenizer vocab = Llama2cTokenizer.read(tokenizer, model.config().vocabSize());
            GgufWriter w = new GgufWriter();
            putModelMetadata(w, model.config(), name);
            putVocabulary(w, vocab);
            for (Llama2cCheckpoint.Tensor t : model.tensors()) {
                w.addTensor(t.name(), GgmlType.F32, t.dims(), content.asSlice(t.offset(), t.bytes()));
            }
            w.write(out);
            return model.config();
        }
    }

    private static void putModelMetadata(GgufWriter w, Llama2cConfig c, String name) {
        w.putString("general.architecture", "llama");
        w.putString("general.name", name);
        w.putUInt32("llama.context_length", c.seqLen());
        w.putUInt32("llama.embedding_length", c.dim());
        w.putUInt32("llama.feed_forward_length", c.hiddenDim());
        w.putUInt32("llama.block_count", c.layers());
        w.putUInt32("llama.attention.head_count", c.heads());
        w.putUInt32("llama.attention.head_count_kv", c.kvHeads());
        w.putUInt32("llama.rope.dimension_count", c.headSize());
        w.putFloat32("llama.rope.freq_base", ROPE_FREQ_BASE);
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", RMS_NORM_EPS);
        w.putUInt32("general.file_type", FILE_TYPE_ALL_F32);
    }

    private static void putVocabulary(GgufWriter w, Llama2cTokenizer v) {
        w.putString("tokenizer.ggml.model", "llama");
        w.putArray("tokenizer.ggml.tokens", GgufArray.ofStrings(v.tokens()));
        w.putArray("tokenizer.ggml.scores", GgufArray.ofFloats(v.scores()));
        w.putArray("tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32, v.types()));
        w.putUInt32("tokenizer.ggml.bos_token_id", Llama2cTokenizer.BOS_ID);
        w.putUInt32("tokenizer.ggml.eos_token_id", Llama2cTokenizer.EOS_ID);
        w.putUInt32("tokenizer.ggml.unknown_token_id", Llama2cTokenizer.UNK_ID);
        w.putBool("tokenizer.ggml.add_bos_token", true);
        w.putBool("tokenizer.ggml.add_eos_token", false);
    }
}
