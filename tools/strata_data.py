"""Compatibility only: the data builders moved to datasets/strata_data (issue 16; datasets/README.md).
tools/main-job still imports `strata_data` from tools/ until it is updated after the merge; then remove this.
Setting __path__ makes this module stand for the package, so `strata_data.splitting` loads the moved code."""
import os

__path__ = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets", "strata_data")]
