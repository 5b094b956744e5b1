package org.ristretto.core.convert;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;

/**
 * A llama2.c tokenizer ({@code tokenizer.bin}, {@code tok512.bin}), turned into the vocabulary llama.cpp expects of a
 * {@code llama} (SentencePiece) GGUF, following llama.cpp's convert-llama2c-to-ggml.
 *
 * <p>The file holds an int32 {@code max_token_length}, then per token a float32 score, an int32 byte length and the
 * UTF-8 bytes. The export wrote BOS and EOS as {@code "\n<s>\n"} and {@code "\n</s>\n"} and SentencePiece's
 * {@code ▁} as a space; here ids 0, 1 and 2 become {@code <unk>}, {@code <s>} and {@code </s>}, and spaces become
 * {@code ▁} again.
 *
 * @param tokens the token texts, by id
 * @param scores the merge scores, by id
 * @param types  llama.cpp token types, by id: {@link #NORMAL}, {@link #UNKNOWN}, {@link #CONTROL} or {@link #BYTE}
 */
public record Llama2cTokenizer(String[] tokens, float[] scores, int[] types) {
    /** llama.cpp's {@code LLAMA_TOKEN_TYPE_NORMAL}. */
    public static final int NORMAL = 1;
    /** llama.cpp's {@code LLAMA_TOKEN_TYPE_UNKNOWN}. */
    public static final int UNKNOWN = 2;
    /** llama.cpp's {@code LLAMA_TOKEN_TYPE_CONTROL}. */
    public static final int CONTROL = 3;
    /** llama.cpp's {@code LLAMA_TOKEN_TYPE_BYTE}. */
    public static final int BYTE = 6;

    /** The ids llama2.c's SentencePiece vocabularies use for the unknown, begin and end tokens. */
    public static final int UNK_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;

    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Reads a tokenizer file that must hold exactly {@code vocabSize} tokens.
     *
     * @throws Llama2cFormatException if the file is truncated, has a bad length or invalid UTF-8, or holds more
     *                                tokens than the model's vocabulary
     * @throws IOException            if the file cannot be read
     */
    public static Llama2cTokenizer read(Path file, int vocabSize) throws IOException {
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment content = size == 0 ? MemorySegment.ofArray(new byte[0])
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return parse(file, content, vocabSize);
        }
    }

    static Llama2cTokenizer parse(Path file, MemorySegment content, int vocabSize) {
        long size = content.byteSize();
        if (size < Integer.BYTES) {
            throw new Llama2cFormatException(file, 0, "the file has " + size
                    + " bytes but a llama2.c tokenizer starts with a 4-byte max_token_length");
        }
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("vocabulary size must be positive, not " + vocabSize);
        }
        if (vocabSize > (size - Integer.BYTES) / 8) {
            // checked before anything is allocated: each token takes at least 8 bytes
            throw new Llama2cFormatException(file, size, "the file ends after " + size + " bytes, too few for "
                    + vocabSize + " tokens of at least 8 bytes each (a tokenizer for a smaller vocabulary?)");
        }
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        String[] tokens = new String[vocabSize];
        float[] scores = new float[vocabSize];
        int[] types = new int[vocabSize];
        long at = Integer.BYTES;
        for (int id = 0; id < vocabSize; id++) {
            if (size - at < 8) {
                throw new Llama2cFormatException(file, at, "token " + id + " of " + vocabSize
                        + " needs a score and a length (8 bytes) but the file ends at " + size
                        + " (truncated, or a tokenizer for a smaller vocabulary)");
            }
            scores[id] = content.get(FLOAT, at);
            int len = content.get(INT, at + 4);
            if (len < 0 || len > size - at - 8) {
                throw new Llama2cFormatException(file, at + 4, "token " + id + " has length " + len
                        + " but only " + (size - at - 8) + " bytes remain");
            }
            ByteBuffer bytes = content.asSlice(at + 8, len).asByteBuffer();
            String text;
            try {
                text = decoder.decode(bytes).toString();
            } catch (CharacterCodingException e) {
                throw new Llama2cFormatException(file, at + 8, "token " + id + " is not valid UTF-8");
            }
            at += 8 + len;
            setToken(id, text, tokens, types);
        }
        if (at != size) {
            throw new Llama2cFormatException(file, at, (size - at) + " bytes follow token " + (vocabSize - 1)
                    + ": the tokenizer holds more than the model's " + vocabSize + " tokens (wrong tokenizer?)");
        }
        return new Llama2cTokenizer(tokens, scores, types);
    }

    /** Names and types a token as llama.cpp's converter does, restoring {@code ▁} for spaces. */
    private static void setToken(int id, String text, String[] tokens, int[] types) {
        int type;
        if (id == UNK_ID) {
            text = "<unk>";
            type = UNKNOWN;
        } else if (id == BOS_ID) {
            text = "<s>";
            type = CONTROL;
        } else if (id == EOS_ID) {
            text = "</s>";
            type = CONTROL;
        } else if (text.isEmpty()) {
            type = CONTROL;
        } else if (BYTE_TOKEN.matcher(text).matches()) {
            type = BYTE;
        } else {
            type = NORMAL;
        }
        tokens[id] = text.replace(' ', '\u2581');
        types[id] = type;
    }
}
