"""``python -m strata``: see ``strata.cli``."""
import sys

from .cli import main

sys.exit(main())
