"""Fail when a module of the project passes the size at which it should be split by sub-domain
(``docs/architecture.md``): ``python scripts/module_sizes.py [LIMIT]``. Migrations are left out:
they are generated and never edited."""

from __future__ import annotations

import sys
from pathlib import Path

LIMIT = 600
ROOT = Path(__file__).resolve().parent.parent / "src" / "accord"


def oversized(limit: int) -> list[tuple[int, Path]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append((lines, path.relative_to(ROOT.parent)))
    return found


def main() -> int:
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else LIMIT
    found = oversized(limit)
    for lines, path in found:
        print(f"{path}: {lines} lines (split it by sub-domain: at most {limit})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
