// F16C kernels for IEEE half <-> f32 in bulk (Swift's baseline x86-64 target has no F16C), with
// runtime CPU detection; Strata falls back to its portable Swift loops elsewhere.
#include "strata_f16.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

int strata_f16c_available(void) {
    __builtin_cpu_init();
    return (__builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c")) ? 1 : 0;
}

__attribute__((target("avx,f16c")))
void strata_gather_f16_f16c(const uint8_t *lo, const uint8_t *hi, size_t n, float *dst) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i l = _mm_loadl_epi64((const __m128i *)(lo + i));
        __m128i h = _mm_loadl_epi64((const __m128i *)(hi + i));
        __m128i halves = _mm_unpacklo_epi8(l, h);
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(halves));
    }
    for (; i < n; i++) {
        uint16_t bits = (uint16_t)(lo[i] | (hi[i] << 8));
        __m128i one = _mm_cvtsi32_si128(bits);
        _mm_store_ss(dst + i, _mm_cvtph_ps(one));
    }
}

__attribute__((target("avx,f16c")))
void strata_f32_to_f16_f16c(const float *src, size_t n, uint16_t *dst) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)(dst + i), h);
    }
    for (; i < n; i++) {
        __m128i h = _mm_cvtps_ph(_mm_set_ss(src[i]), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        dst[i] = (uint16_t)_mm_cvtsi128_si32(h);
    }
}
#else
int strata_f16c_available(void) { return 0; }
void strata_gather_f16_f16c(const uint8_t *lo, const uint8_t *hi, size_t n, float *dst) { (void)lo; (void)hi; (void)n; (void)dst; }
void strata_f32_to_f16_f16c(const float *src, size_t n, uint16_t *dst) { (void)src; (void)n; (void)dst; }
#endif
