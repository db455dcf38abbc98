"""CRC32C (spec/FORMAT.md §1) through a compiled implementation from PyPI, and whole-file checksums."""
from __future__ import annotations

from typing import Union

try:  # the `crc32c` package (hardware CRC32 instruction where the CPU has it)
    from crc32c import crc32c as _crc32c

    def crc32c(data: "Buffer", value: int = 0) -> int:
        """CRC32C of ``data`` (any bytes-like object); ``value`` continues an earlier checksum."""
        return int(_crc32c(data, value))
except ImportError:  # pragma: no cover - the other accepted dependency
    import google_crc32c as _google

    def crc32c(data: "Buffer", value: int = 0) -> int:
        """CRC32C of ``data`` (any bytes-like object); ``value`` continues an earlier checksum."""
        return int(_google.extend(value, bytes(data) if not isinstance(data, bytes) else data))

Buffer = Union[bytes, bytearray, memoryview]

__all__ = ["crc32c", "file_crc32c"]

_CHUNK = 4 << 20


def file_crc32c(path: str) -> str:
    """CRC32C of a whole file as 8 lower-case hex digits (the manifest's ``crc32c``)."""
    value = 0
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buffer)
            if not n:
                break
            value = crc32c(view[:n], value)
    return f"{value:08x}"


def _self_check() -> None:
    if crc32c(b"123456789") != 0xE3069283:
        raise ImportError("the CRC32C implementation does not give the check value E3069283")


_self_check()
