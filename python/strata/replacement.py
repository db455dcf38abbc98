"""Temporary names of file outputs being replaced (spec/DATASETS.md §1, "Temporary files"): a new
version of OUT is written as ``OUT.partial-PID`` and renamed over OUT when complete; partial files
whose process is gone are removed by the next writer of the same OUT."""
from __future__ import annotations

import os
from typing import List

__all__ = ["partial_path", "remove_stale_partials"]


def partial_path(target: str, pid: int) -> str:
    return f"{target}.partial-{pid}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def remove_stale_partials(target: str) -> List[str]:
    """Removes ``TARGET.partial-PID`` files whose process no longer runs; returns their paths."""
    directory, name = os.path.split(target)
    prefix = name + ".partial-"
    removed: List[str] = []
    try:
        listed = os.listdir(directory or ".")
    except OSError:
        return removed
    for entry in listed:
        suffix = entry[len(prefix):]
        if not entry.startswith(prefix) or not suffix.isdigit() or int(suffix) <= 0 or _running(int(suffix)):
            continue
        path = os.path.join(directory, entry)
        try:
            os.unlink(path)
            removed.append(path)
        except OSError:
            pass
    return removed
