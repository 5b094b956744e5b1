package org.ristretto.bench;

import org.ristretto.core.quant.GgmlType;

/**
 * What a test ran on: the model as llama.cpp describes it and the context settings, for the report.
 *
 * @param modelFilename the GGUF path as given
 * @param modelType     llama.cpp's description ({@code llama 1B Q4_0})
 */
public record LlamaBenchSetup(String modelFilename, String modelType, long modelSize, long modelNParams,
                              int nBatch, int nUbatch, int nThreads, GgmlType cacheType, boolean flashAttention) {}
