package org.ristretto.core.backend;

/**
 * Whether a backend keeps copies of weight matrices in a layout of its own, where that makes decoding faster, and on
 * which pages of memory. Only the CPU backend makes such copies (for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, IQ4_XS and
 * Q2_K to Q6_K: about the size of those weights again in memory, made on first use); other backends ignore it.
 *
 * <p>Huge pages are a trade between the start and the speed of decoding. Decoding reads the copies a little faster
 * from 2 MB pages: 1.5–4% more tokens per second than from 4 KB pages, for 1B models in Q8_0, Q4_0 and Q4_K_M on a
 * 2-core Zen 4 (one process, both kinds of copy decoded in turn). But a fresh huge page can cost much more to fault in
 * than its 4 KB pages do: on a virtual machine that hands free memory back to its host (virtio-balloon free page
 * reporting), packing a 1.3 GB Q8_0 model took 1.96–2.29 s on huge pages against 0.94–1.09 s on 4 KB pages (three runs
 * each, alternated), and a cold one-token run of it 4.0–4.6 s against 2.9–3.3 s. So a
 * long-running process, which pays once, wants huge pages, and a command that answers one prompt does not.
 */
public enum WeightPacking {
    /** No copies: the weights are read only from the file's mapping. */
    NONE,
    /** Packed copies on the system's usual (4 KB) pages: quicker to make, a little slower to decode from. */
    PACKED,
    /** Packed copies advised onto transparent huge pages ({@code MADV_HUGEPAGE}), where the system has them. */
    PACKED_ON_HUGE_PAGES;

    /** Whether the backend may make packed copies at all. */
    public boolean packs() {
        return this != NONE;
    }

    /**
     * The packing that the command-line flags {@code --no-repack} and {@code --huge-pages} ask for.
     *
     * @param repack    false for {@link #NONE}
     * @param hugePages with {@code repack}: {@link #PACKED_ON_HUGE_PAGES} rather than {@link #PACKED}
     */
    public static WeightPacking of(boolean repack, boolean hugePages) {
        return !repack ? NONE : hugePages ? PACKED_ON_HUGE_PAGES : PACKED;
    }
}
