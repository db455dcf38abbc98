"""Checks of the scheduler job files a user submits (samples/slurm, samples/k8s): no cluster is
available here, so they are checked for syntax, for the fields the schedulers require, for the
shard count agreeing with the array size, and for flags that `strata` accepts.

Run: python3 -m unittest discover -s tools/tests"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import unittest
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SLURM = REPO / "samples" / "slurm"
K8S = REPO / "samples" / "k8s"


def strata_binary() -> Path | None:
    path = Path(os.environ.get("STRATA_BIN", REPO / ".build" / "debug" / "strata"))
    return path if path.is_file() and os.access(path, os.X_OK) else None


def long_flags(command: str) -> list[str]:
    return re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", command)


class JobFileFlagCheck(unittest.TestCase):
    def assert_flags_exist(self, subcommand: str, command: str) -> None:
        binary = strata_binary()
        if binary is None:
            self.skipTest("no strata binary (build it, or set STRATA_BIN)")
        help_text = subprocess.run([str(binary), subcommand, "--help"], capture_output=True, text=True, check=True).stdout
        for flag in long_flags(command):
            self.assertIn(flag, help_text, f"strata {subcommand} has no {flag} (job file: {command!r})")


class KubernetesManifestTests(JobFileFlagCheck):
    def load(self, name: str) -> dict:
        documents = list(yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")))
        self.assertEqual(len(documents), 1, name)
        job = documents[0]
        self.assertEqual(job["apiVersion"], "batch/v1")
        self.assertEqual(job["kind"], "Job")
        self.assertRegex(job["metadata"]["name"], r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
        spec = job["spec"]["template"]["spec"]
        self.assertIn(spec["restartPolicy"], ("Never", "OnFailure"))
        self.assertTrue(spec["containers"])
        for container in spec["containers"]:
            self.assertTrue(container["name"] and container["image"])
            mounts = {m["name"] for m in container.get("volumeMounts", [])}
            self.assertTrue(mounts <= {v["name"] for v in spec.get("volumes", [])}, "a volumeMount names no volume")
        return job

    def test_capture_is_an_indexed_job_whose_shards_match_its_completions(self):
        job = self.load("capture-indexed-job.yaml")
        spec = job["spec"]
        self.assertEqual(spec["completionMode"], "Indexed")
        completions = spec["completions"]
        self.assertGreaterEqual(spec["parallelism"], 1)
        command = " ".join(spec["template"]["spec"]["containers"][0]["args"])
        self.assertIn("strata capture", command)
        self.assertIn(f"--shard $(JOB_COMPLETION_INDEX)/{completions}", command)
        self.assertIn("--out /data/run/capture-$(JOB_COMPLETION_INDEX)", command)
        self.assertIn("--resume", command)
        self.assert_flags_exist("capture", command)

    def test_merge_gathers_every_capture_index(self):
        completions = self.load("capture-indexed-job.yaml")["spec"]["completions"]
        job = self.load("merge-job.yaml")
        command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["args"])
        words = shlex.split(command.removeprefix("exec "))
        self.assertEqual(words[:2], ["strata", "merge"])
        self.assertEqual([w for w in words if w.startswith("/data/run/capture-")],
                         [f"/data/run/capture-{k}" for k in range(completions)])
        self.assert_flags_exist("merge", command)


class SlurmJobFileTests(JobFileFlagCheck):
    def directives(self, name: str) -> dict[str, str]:
        text = (SLURM / name).read_text(encoding="utf-8")
        self.assertTrue(text.startswith("#!/bin/bash\n"), name)
        subprocess.run(["bash", "-n", str(SLURM / name)], check=True)
        found = {}
        for line in text.splitlines():
            if line.startswith("#SBATCH "):
                key, _, value = line.removeprefix("#SBATCH ").partition("=")
                found[key] = value
        return found

    def test_capture_array_size_matches_its_shard_count(self):
        directives = self.directives("capture-array.sbatch")
        first, last = map(int, directives["--array"].split("-"))
        text = (SLURM / "capture-array.sbatch").read_text(encoding="utf-8")
        self.assertEqual(first, 0)
        self.assertIn(f"SHARDS=${{SHARDS:-{last + 1}}}", text)
        self.assertIn('--shard "$SLURM_ARRAY_TASK_ID/$SHARDS"', text)
        self.assert_flags_exist("capture", text.split("capture --model", 1)[1])

    def test_train_launches_mpi_ranks_through_srun(self):
        directives = self.directives("train.sbatch")
        self.assertGreaterEqual(int(directives["--ntasks"]), 2)
        text = (SLURM / "train.sbatch").read_text(encoding="utf-8")
        self.assertIn("srun --mpi=pmix", text)
        self.assert_flags_exist("train", text.split('"${STRATA:-strata}" train', 1)[1])

    def test_merge_job_reads_every_capture_directory(self):
        self.directives("merge.sbatch")
        text = (SLURM / "merge.sbatch").read_text(encoding="utf-8")
        self.assertIn('merge "$OUT"/capture-* --out "$OUT/merged"', text)


if __name__ == "__main__":
    unittest.main()
