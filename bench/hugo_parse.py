"""Benchmark: the cost of reading a Hugo course page with one pathological line. For each kind of line (a run of
spaces inside a bullet, unclosed emphasis, brackets, …) it parses the provider's ALS2 page with that line added, at
growing sizes up to HUGO_IMPORT_MAX_BYTES, and prints the seconds each took and the growth from one size to the
next. The sizes grow fourfold: a growth near 4 is linear, near 16 quadratic.

    .venv/bin/python bench/hugo_parse.py [KIND ...]

Parsing needs no database; nothing is written.
"""

import contextlib
import itertools
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from learning.catalogue.hugo import HugoFormatError, parse_course  # noqa: E402

PAGE = (ROOT / "home" / "demo" / "hugo" / "als2.md").read_text()
SECTION = "## Who Should Attend\n"

# Each kind: the line's prefix and the unit repeated to fill it.
KINDS = {
    "bullet-spaces": ("- a", " ", "b"),
    "heading-spaces": ("### a", " ", "b"),
    "fact-spaces": ("**Course Fee**: a", " ", "b"),
    "emphasis": ("", " _a", ""),
    "stars": ("- ", "*a ", ""),
    "bold": ("- ", "**a", ""),
    "links": ("- ", "[a](", ""),
    "brackets": ("", "[", ""),
    "images": ("", "![", ""),
    "capitals": ("# ", "A1", "a"),
}


def page_with(kind: str, size: int) -> str:
    prefix, unit, suffix = KINDS[kind]
    line = prefix + unit * max(1, (size - len(PAGE)) // len(unit)) + suffix
    return PAGE.replace(SECTION, f"{SECTION}\n{line}\n", 1)


def main(kinds: list[str]) -> None:
    limit = settings.HUGO_IMPORT_MAX_BYTES
    # The largest just under the limit (the added line's own few bytes would otherwise take it over).
    sizes = [limit // 64, limit // 16, limit // 4, limit - 64]
    print(f"{'kind':<16}" + "".join(f"{size:>12,} B" for size in sizes) + "   growth per x4")
    for kind in kinds:
        seconds = []
        for size in sizes:
            text = page_with(kind, size)
            started = time.perf_counter()
            # A refusal is a result too: what is measured is the time to reach it.
            with contextlib.suppress(HugoFormatError):
                parse_course(Path(f"{kind}.md"), text, max_bytes=limit)
            seconds.append(time.perf_counter() - started)
        growth = " ".join(f"{later / max(earlier, 1e-4):5.1f}" for earlier, later in itertools.pairwise(seconds))
        print(f"{kind:<16}" + "".join(f"{value:>12.2f} s" for value in seconds) + f"   {growth}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(KINDS))
