package org.ristretto.core.generate;

/** Why a generation ended. */
public enum StopReason {
    /** The model produced an end-of-generation token (EOS, EOT, EOM); that token is not part of the text. */
    END_OF_GENERATION,
    /** The requested number of tokens was generated. */
    MAX_TOKENS,
    /** A stop string appeared; it and anything after it are not part of the text. */
    STOP_STRING,
    /** The KV cache is full: no position is left for another token. */
    CONTEXT_FULL,
    /** The caller asked to stop (for example Ctrl-C in the chat). */
    CANCELLED
}
