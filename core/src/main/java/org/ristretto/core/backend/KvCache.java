package org.ristretto.core.backend;

/**
 * A key/value cache allocated by one backend (on its device). Positions are written with
 * {@link Backend#storeKv} and read by {@link Backend#attention}; the caller keeps track of how many are valid, so
 * rewinding a conversation is just writing again from an earlier position.
 */
public interface KvCache extends AutoCloseable {

    /** The shape and element type of this cache. */
    KvCacheSpec spec();

    /** Frees the cache's memory on its device. */
    @Override
    void close();
}
