"""The one error type of the package: what went wrong, where and why (as Swift's ``StrataError``)."""
from __future__ import annotations

from typing import Optional

__all__ = ["StrataError"]


class StrataError(Exception):
    """A file that breaks spec/FORMAT.md or spec/DATASETS.md, a refused write, or a failed system call.

    Attributes name where the problem is, as far as it is known: ``path`` (the shard, manifest or
    output), ``record`` (index inside the shard) and ``record_id``, ``block`` (position in the record's
    block list) and ``offset`` (byte offset in the file). ``kind`` is the broad class, one of
    ``KINDS``; ``message`` is why, in words. ``str(error)`` reads like the Swift tool's message:
    ``"x.strata, record 3 (id "a"), block 2, offset 4096: block payload checksum mismatch"``.
    """

    #: The kinds of failure, spelled as Swift's ``StrataError.Kind`` and the spec's refused vectors:
    #: ``notAShard``; ``unsealed`` (no valid trailer) and ``brokenSeal`` (a valid trailer whose seal
    #: checks fail), both fixed by ``strata recover``; ``corrupt``; ``truncated``; ``invalidArgument``
    #: (a refused call); ``io``; ``dataset`` (a manifest or directory problem); ``locked`` (another
    #: process writes the output).
    KINDS = ("notAShard", "unsealed", "brokenSeal", "corrupt", "truncated", "invalidArgument", "io", "dataset",
             "locked")

    def __init__(self, kind: str, message: str, *, path: Optional[str] = None, record: Optional[int] = None,
                 record_id: Optional[str] = None, block: Optional[int] = None, offset: Optional[int] = None) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown StrataError kind {kind!r}")
        self.kind = kind
        self.message = message
        self.path = path
        self.record = record
        self.record_id = record_id
        self.block = block
        self.offset = offset
        super().__init__(self.description)

    @property
    def description(self) -> str:
        """The location (path, record, block, offset) followed by the message."""
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.record is not None:
            where.append(f'record {self.record} (id "{self.record_id}")' if self.record_id is not None
                         else f"record {self.record}")
        if self.block is not None:
            where.append(f"block {self.block}")
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        return (", ".join(where) + ": " if where else "") + self.message

    def __str__(self) -> str:
        return self.description

    def located(self, *, path: Optional[str] = None, record: Optional[int] = None, record_id: Optional[str] = None,
                block: Optional[int] = None, offset: Optional[int] = None) -> "StrataError":
        """This error with the location fields that are still empty filled in (the same object)."""
        if self.path is None:
            self.path = path
        if self.record is None:
            self.record = record
        if self.record_id is None:
            self.record_id = record_id
        if self.block is None:
            self.block = block
        if self.offset is None:
            self.offset = offset
        self.args = (self.description,)
        return self
