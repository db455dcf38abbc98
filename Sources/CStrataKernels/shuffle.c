#include "strata_shuffle.h"

#include <string.h>

void strata_scatter16(const uint16_t *src, size_t n, uint8_t *lo, uint8_t *hi) {
    for (size_t i = 0; i < n; i++) {
        uint16_t v = src[i];
        lo[i] = (uint8_t)v;
        hi[i] = (uint8_t)(v >> 8);
    }
}

void strata_scatter32(const uint32_t *src, size_t n, uint8_t *p0, uint8_t *p1, uint8_t *p2, uint8_t *p3) {
    for (size_t i = 0; i < n; i++) {
        uint32_t v = src[i];
        p0[i] = (uint8_t)v;
        p1[i] = (uint8_t)(v >> 8);
        p2[i] = (uint8_t)(v >> 16);
        p3[i] = (uint8_t)(v >> 24);
    }
}

void strata_gather_bf16(const uint8_t *lo, const uint8_t *hi, size_t n, float *dst) {
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)lo[i] << 16 | (uint32_t)hi[i] << 24;
        memcpy(&dst[i], &bits, sizeof bits);
    }
}

void strata_gather_f32(const uint8_t *p0, const uint8_t *p1, const uint8_t *p2, const uint8_t *p3, size_t n,
                       float *dst) {
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)p0[i] | (uint32_t)p1[i] << 8 | (uint32_t)p2[i] << 16 | (uint32_t)p3[i] << 24;
        memcpy(&dst[i], &bits, sizeof bits);
    }
}
