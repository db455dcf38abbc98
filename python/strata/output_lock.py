"""One writer per output (spec/DATASETS.md §1, "Output lock"), the same lock the Swift tools take:
an exclusive ``flock`` on ``DIR/.strata.lock`` for a dataset directory or on ``.NAME.lock`` beside a
file output, holding one line of JSON naming the holder. The kernel drops the lock when its process
exits or is killed, so a lock file left behind never blocks a later writer."""
from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import sys
from typing import Optional

from .errors import StrataError

__all__ = ["OutputLock", "DIRECTORY_LOCK_NAME", "lock_path_for_file", "lock_path_for_directory"]

DIRECTORY_LOCK_NAME = ".strata.lock"


def lock_path_for_directory(directory: str) -> str:
    return os.path.join(directory, DIRECTORY_LOCK_NAME)


def lock_path_for_file(path: str) -> str:
    """``out/x.strata`` → ``out/.x.strata.lock``."""
    directory, name = os.path.split(path)
    return os.path.join(directory, f".{name}.lock")


def _command_name() -> str:
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    return f"strata-python ({program})"


class OutputLock:
    """Holds the lock of one output until ``release()`` (or garbage collection, or process exit)."""

    def __init__(self, *, file: Optional[str] = None, directory: Optional[str] = None) -> None:
        if (file is None) == (directory is None):
            raise ValueError("OutputLock needs exactly one of file= or directory=")
        self.created_directory = False
        if directory is not None:
            self.output = directory
            if os.path.lexists(directory):
                if not os.path.isdir(directory):
                    raise StrataError("invalidArgument", "exists and is not a directory", path=directory)
            else:
                try:
                    os.makedirs(directory)
                except OSError as error:
                    raise StrataError("io", f"cannot create the directory: {error.strerror}", path=directory) from None
                self.created_directory = True
            self.lock_path = lock_path_for_directory(directory)
        else:
            assert file is not None
            self.output = file
            self.lock_path = lock_path_for_file(file)
        try:
            self._fd = self._acquire()
        except BaseException:
            if self.created_directory:
                self._remove_directory_if_empty()
            raise
        holder = json.dumps({"command": _command_name(), "pid": os.getpid()}, separators=(",", ":")) + "\n"
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, holder.encode("utf-8"), 0)

    def _acquire(self) -> int:
        while True:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
            except OSError as error:
                raise StrataError("io", f"cannot create the lock file {self.lock_path}: {error.strerror}",
                                  path=self.output) from None
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                os.close(fd)
                raise StrataError("io", f"the lock file {self.lock_path} is not a regular file", path=self.output)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                holder = self._describe_holder(fd)
                os.close(fd)
                if error.errno == errno.EINTR:
                    continue
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise StrataError("io", f"cannot lock {self.lock_path}: {error.strerror}", path=self.output) from None
                raise StrataError("locked", f"another process is writing it ({holder}); wait for it to finish or stop it, "
                                            f"then run again (lock file {self.lock_path})", path=self.output) from None
            try:
                current = os.stat(self.lock_path)
            except OSError:
                current = None
            if current is not None and (current.st_dev, current.st_ino) == (opened.st_dev, opened.st_ino):
                return fd
            os.close(fd)  # locked a lock file its holder had just removed: take the new one

    @staticmethod
    def _describe_holder(fd: int) -> str:
        try:
            holder = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
            command = f", {holder['command']}" if isinstance(holder.get("command"), str) else ""
            return f"pid {int(holder['pid'])}{command}"
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return "its pid is not written yet"

    def _remove_directory_if_empty(self) -> None:
        try:
            os.rmdir(self.output)
        except OSError:
            pass

    def release(self) -> None:
        """Removes the lock file and unlocks (and removes a directory this lock created, if empty). Idempotent."""
        fd = getattr(self, "_fd", -1)
        if fd < 0:
            return
        try:
            os.unlink(self.lock_path)
        except OSError:
            pass
        os.close(fd)
        self._fd = -1
        if self.created_directory:
            self._remove_directory_if_empty()

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:
            pass
