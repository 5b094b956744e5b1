package org.ristretto.core.tokenizer;

/** A token's type as stored in {@code tokenizer.ggml.token_type} (the GGUF/llama.cpp numbering). */
public enum TokenType {
    /** 0: no type given. */
    UNDEFINED,
    /** 1: an ordinary piece of text. */
    NORMAL,
    /** 2: the unknown token. */
    UNKNOWN,
    /** 3: a control token (BOS, EOS, chat markers): only written in text when special tokens are parsed. */
    CONTROL,
    /** 4: a token added by the model's authors, matched in text even when special tokens are not parsed. */
    USER_DEFINED,
    /** 5: a reserved, unused slot. */
    UNUSED,
    /** 6: a byte-fallback token {@code <0xNN>}. */
    BYTE;

    /** {@code values()} once: it copies the array on every call, and a vocabulary asks once per token. */
    private static final TokenType[] BY_ID = values();

    /** The type with this GGUF number; numbers outside 0..6 are {@link #UNDEFINED}, as llama.cpp reads them. */
    public static TokenType fromId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : UNDEFINED;
    }
}
