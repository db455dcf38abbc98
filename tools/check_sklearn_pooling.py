#!/usr/bin/env python3
"""Compatibility only: moved to checks/check_sklearn_pooling.py (issue 16). tools/check_sklearn_baselines.py imports it from tools/
until it is updated after the merge; then remove this. Runs the moved script, or re-exports its names."""
import os as _os
import runpy as _runpy

_MOVED = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "..", "checks", "check_sklearn_pooling.py")
globals().update({k: v for k, v in _runpy.run_path(_MOVED, run_name=__name__).items() if not k.startswith("__")})
