#ifndef STRATA_CLIBFUZZER_H
#define STRATA_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's documented driver entry (compiler-rt/lib/fuzzer/FuzzerInterface.h): parses the
/// libFuzzer flags in argv and runs the fuzzing loop (or the given inputs) with `callback`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
