"""``python -m agentcom_hub``."""

import sys

from .cli import main

sys.exit(main())
