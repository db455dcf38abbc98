"""Starting and stopping a real `strata serve` for the tests and the load benchmark: the binary
($STRATA_BIN, else the repository's debug then release build), the cached real model, a free loopback
port (--port 0; the server prints the port it bound)."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import List, Optional

REPO = Path(__file__).resolve().parents[2]
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def strata_binary() -> str:
    for candidate in (os.environ.get("STRATA_BIN", ""), REPO / ".build" / "debug" / "strata",
                      REPO / ".build" / "release" / "strata"):
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    return ""


def real_model() -> str:
    """The cached SmolLM2 GGUF that `strata fetch-model smollm2` writes; '' when absent."""
    home = Path(os.environ.get("STRATA_HOME", Path.home() / ".cache" / "strata"))
    path = home / "models" / MODEL_FILE
    return str(path) if path.is_file() else ""


def run_strata(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([strata_binary(), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"strata {' '.join(args)} failed ({result.returncode}): {result.stderr}{result.stdout}")
    return result


class Server:
    """`strata serve --model MODEL ARGS… --port 0`, its base URL once it listens, its stderr kept."""

    def __init__(self, model: str, *args: str, startup_seconds: float = 120):
        self.process = subprocess.Popen([strata_binary(), "serve", "--model", model, "--port", "0", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr: List[str] = []
        threading.Thread(target=self._drain, args=(self.process.stderr, self.stderr), daemon=True).start()
        ready = threading.Event()
        self.url: Optional[str] = None

        def wait_for_listening():
            for line in self.process.stdout:
                if line.startswith("listening on "):
                    self.url = line.split()[-1].strip()
                    ready.set()
            ready.set()

        threading.Thread(target=wait_for_listening, daemon=True).start()
        if not ready.wait(startup_seconds) or self.url is None:
            self.stop()
            raise AssertionError(f"strata serve did not start: {''.join(self.stderr)}")

    @staticmethod
    def _drain(stream, lines: List[str]) -> None:
        for line in stream:
            lines.append(line)

    def terminate(self) -> int:
        """SIGTERM, then the exit status (the server finishes in-flight requests first)."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=120)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()


def synthetic_model(directory: str) -> tuple:
    """A tiny random GGUF model (`strata synth-model`, 2 blocks, d = 32) and a pooling probe for it
    trained on a synthetic labelled dataset (`strata synth` + `strata train`): a server on them answers
    in milliseconds even from a debug build. Returns (model path, probe path)."""
    model = os.path.join(directory, "synthetic.gguf")
    data = os.path.join(directory, "synthetic.strata")
    probe = os.path.join(directory, "synthetic.probe")
    run_strata("synth-model", "--out", model, "--blocks", "2", "--hidden", "32")
    run_strata("synth", "--out", data, "--records", "40", "--layers", "3", "--hidden", "32", "--labels", "2",
               "--dtype", "f32", "--seed", "3")
    run_strata("train", "--data", data, "--probe", "pooling", "--out", probe, "--epochs", "2", "--val-fraction", "0",
               "--threshold", "0.5")
    return model, probe
