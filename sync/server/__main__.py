"""``python -m sync.server`` is ``reviewer-central``."""

from __future__ import annotations

import sys

from sync.server.cli import main

sys.exit(main())
