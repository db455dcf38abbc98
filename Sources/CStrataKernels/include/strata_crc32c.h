#pragma once
#include <stddef.h>
#include <stdint.h>

/// 1 when strata_crc32c_hw can run on this CPU (x86-64 with SSE4.2), else 0.
int strata_crc32c_hw_available(void);

/// Continues a CRC-32C over `length` bytes with the CPU's crc32 instruction. `crc` is the running
/// value without pre/post inversion (the caller inverts). Only call when strata_crc32c_hw_available().
uint32_t strata_crc32c_hw(uint32_t crc, const void *data, size_t length);
