"""Summarise a py-spy profile in collapsed ("raw") format: where the server's samples went.

``python bench/suite/profile.py bench/results/profile-....txt`` prints, for the samples of the server
processes, the share of samples *inside* each function (inclusive), for Quire's own functions and
for the libraries' entry points that usually matter (SQLAlchemy execution, pydantic validation and
serialisation, JSON, fpdf2, the drivers). A flame graph can be made from the same file with
``flamegraph.pl`` or https://www.speedscope.app (it reads this format).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

INTERESTING = re.compile(
    r"(quire/|fpdf/|pydantic|sqlalchemy/(orm/session|engine/base|ext/asyncio/session|sql/compiler)|asyncpg/|aiosqlite/"
    r"|fastapi/(routing|encoders|_compat)|starlette/|uvicorn/|granian/|json/)"
)


def summarise(path: Path, top: int = 25) -> list[str]:
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        seen = set()
        for frame in stack.split(";"):
            m = re.match(r"(.+?) \((.+?)(?::\d+)?\)$", frame)
            if not m:
                continue
            func, file = m.groups()
            if not INTERESTING.search(file):
                continue
            short = re.sub(r".*/site-packages/|.*/src/", "", file)
            key = f"{short}:{func}"
            if key not in seen:
                seen.add(key)
                inclusive[key] += n
    lines = [f"{total} samples"]
    for key, n in inclusive.most_common(top):
        lines.append(f"{100 * n / max(total, 1):5.1f}%  {key}")
    return lines


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"== {arg}")
        print("\n".join(summarise(Path(arg))))
