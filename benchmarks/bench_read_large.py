"""Peak memory of reading a large seats CSV, as a multiple of the file size.

Run with ``.venv/bin/python benchmarks/bench_read_large.py [n_rows] [folder]``. It writes a
seats CSV of ``n_rows`` rows (default 2,200,000, about 200 MB, Chinese names, UTF-8) into a
temporary folder (or ``folder``), then reads it with :func:`lifecircle.read_seats` in a fresh
subprocess and prints that process's peak resident memory (``ru_maxrss``), the memory it
held after importing lifecircle, and both as multiples of the file size. It prints only and
asserts nothing; the file is deleted afterwards.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHUNK_ROWS = 200_000

_CHILD = """
import resource, sys, time
import lifecircle as lc
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
seats = lc.read_seats(sys.argv[1])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(seats), base * 1024, peak * 1024, seconds)
"""


def write_seats_csv(path: Path, n_rows: int) -> None:
    """Write ``n_rows`` seats around Jing'an Temple, in chunks (constant memory)."""
    rng = np.random.default_rng(0)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("编号,名称,经度,纬度,座位数,扶手,充电\n")
        for start in range(0, n_rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, n_rows - start)
            ids = np.arange(start, start + n)
            lon = rng.uniform(121.43, 121.46, n)
            lat = rng.uniform(31.21, 31.24, n)
            seats = rng.integers(1, 9, n)
            arm = rng.choice(np.array(["是", "否"]), n)
            charge = rng.choice(np.array(["有", "无"]), n)
            out.writelines(
                f"S{i:08d},静安寺街道公共座椅{i:07d},{x:.7f},{y:.7f},{s},{a},{c}\n"
                for i, x, y, s, a, c in zip(ids, lon, lat, seats, arm, charge, strict=True)
            )


def main(n_rows: int = 2_200_000, folder: str | None = None) -> None:
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / "seats_large.csv"
        start = time.perf_counter()
        write_seats_csv(path, n_rows)
        size = path.stat().st_size
        print(f"wrote {n_rows:,} rows, {size / 1e6:.0f} MB in {time.perf_counter() - start:.0f} s")
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows, base, peak, seconds = done.stdout.split()
        base_b, peak_b = int(base), int(peak)
        print(f"read {int(rows):,} seats in {float(seconds):.0f} s")
        print(f"after import: {base_b / 1e6:6.0f} MB ({base_b / size:.2f}x the file)")
        print(f"peak:         {peak_b / 1e6:6.0f} MB ({peak_b / size:.2f}x the file)")
        print(f"peak - import {(peak_b - base_b) / 1e6:6.0f} MB ({(peak_b - base_b) / size:.2f}x)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]), *sys.argv[2:3])
