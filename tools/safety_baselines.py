#!/usr/bin/env python3
"""Compatibility only: moved to checks/safety_baselines.py (issue 16). tools/main-job runs and imports it from tools/
until it is updated after the merge; then remove this. Runs the moved script, or re-exports its names."""
import os as _os
import runpy as _runpy

_MOVED = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "..", "checks", "safety_baselines.py")
globals().update({k: v for k, v in _runpy.run_path(_MOVED, run_name=__name__).items() if not k.startswith("__")})
