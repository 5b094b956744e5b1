package org.ristretto.core.model;

/**
 * A forward pass would write past the end of the KV cache: the tokens already processed plus the new ones exceed the
 * context length the {@link Transformer} was created with.
 */
public final class ContextOverflowException extends IllegalArgumentException {
    private final int contextLength;
    private final int requiredLength;

    /**
     * @param contextLength  the context length of the cache
     * @param requiredLength the positions the call would need
     */
    public ContextOverflowException(int contextLength, int requiredLength) {
        super("the prompt needs " + requiredLength + " positions but the context holds " + contextLength
                + " (raise the context length or shorten the prompt)");
        this.contextLength = contextLength;
        this.requiredLength = requiredLength;
    }

    /** The context length of the cache. */
    public int contextLength() {
        return contextLength;
    }

    /** The number of positions the rejected call needed. */
    public int requiredLength() {
        return requiredLength;
    }
}
