#pragma once
#include <stddef.h>
#include <stdint.h>

/// 1 when the F16C + AVX conversion kernels below can run on this CPU, else 0.
int strata_f16c_available(void);

/// dst[i] = f32 of the IEEE half whose low byte is lo[i] and high byte is hi[i] (a byte-shuffled f16
/// block's two planes), for i in 0..<n. Exact. Only call when strata_f16c_available().
void strata_gather_f16_f16c(const uint8_t *lo, const uint8_t *hi, size_t n, float *dst);

/// dst[i] = IEEE half bits of src[i], rounded to nearest even. Only call when strata_f16c_available().
void strata_f32_to_f16_f16c(const float *src, size_t n, uint16_t *dst);
