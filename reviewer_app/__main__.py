from __future__ import annotations

from reviewer_app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
