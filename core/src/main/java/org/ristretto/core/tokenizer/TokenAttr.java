package org.ristretto.core.tokenizer;

/**
 * llama.cpp's per-token attribute bits. They start from the GGUF token type and are then adjusted the way llama.cpp
 * adjusts them (end-of-generation texts become control tokens, unused control tokens are marked, some models strip
 * whitespace around their special tokens).
 */
final class TokenAttr {
    static final int UNDEFINED = 0;
    static final int UNKNOWN = 1;
    static final int UNUSED = 1 << 1;
    static final int NORMAL = 1 << 2;
    static final int CONTROL = 1 << 3;
    static final int USER_DEFINED = 1 << 4;
    static final int BYTE = 1 << 5;
    static final int LSTRIP = 1 << 7;
    static final int RSTRIP = 1 << 8;

    /** Tokens that are split out of the text before the model's own tokenization. */
    static final int SPECIAL = CONTROL | USER_DEFINED | UNKNOWN;

    private TokenAttr() {}

    static int fromType(TokenType t) {
        return switch (t) {
            case UNDEFINED -> UNDEFINED;
            case NORMAL -> NORMAL;
            case UNKNOWN -> UNKNOWN;
            case CONTROL -> CONTROL;
            case USER_DEFINED -> USER_DEFINED;
            case UNUSED -> UNUSED;
            case BYTE -> BYTE;
        };
    }
}
