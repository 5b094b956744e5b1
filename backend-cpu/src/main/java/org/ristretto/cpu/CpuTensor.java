package org.ristretto.cpu;

import org.ristretto.core.backend.Tensor;

/** A tensor of the CPU backend: a weight wrapping file memory, or an F32 activation in a heap array. */
sealed interface CpuTensor extends Tensor permits CpuWeight, CpuActivation {
}
