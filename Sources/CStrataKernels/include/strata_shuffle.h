#pragma once
#include <stddef.h>
#include <stdint.h>

// Byte-shuffle kernels (spec/FORMAT.md §5): a block of n elements of width w is stored as w planes of
// n bytes, plane k holding byte k (little-endian) of every element. These loops are the format's hot
// path; they live here, in C, so that release builds keep Swift's overflow and bounds checks everywhere
// else without slowing them down. Callers pass valid pointers for `n` elements.

/// Scatters n 16-bit values into two planes: lo[i] = low byte of src[i], hi[i] = high byte.
void strata_scatter16(const uint16_t *src, size_t n, uint8_t *lo, uint8_t *hi);

/// Scatters n 32-bit values into four planes: p0[i] = byte 0 of src[i], …, p3[i] = byte 3.
void strata_scatter32(const uint32_t *src, size_t n, uint8_t *p0, uint8_t *p1, uint8_t *p2, uint8_t *p3);

/// dst[i] = the f32 whose bf16 bits have low byte lo[i] and high byte hi[i] (exact widening).
void strata_gather_bf16(const uint8_t *lo, const uint8_t *hi, size_t n, float *dst);

/// dst[i] = the f32 whose bytes, from least to most significant, are p0[i], p1[i], p2[i], p3[i].
void strata_gather_f32(const uint8_t *p0, const uint8_t *p1, const uint8_t *p2, const uint8_t *p3, size_t n,
                       float *dst);
