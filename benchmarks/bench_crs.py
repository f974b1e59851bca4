"""Time the GCJ-02 / BD-09 conversions on one million points against pyproj.

Run with ``.venv/bin/python benchmarks/bench_crs.py [n_points]``. It prints the best of three
runs for each conversion and its ratio to pyproj's EPSG:4326 -> UTM 51N transform of the
same points, measured in the same run (the yardstick for "vectorised speed"). It prints only
and asserts nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
import pyproj

from lifecircle.geo.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

REPEATS = 3


def best_seconds(func: Callable[[], object]) -> float:
    """Best wall time of ``REPEATS`` calls."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(n_points: int = 1_000_000) -> None:
    rng = np.random.default_rng(0)
    # Greater Shanghai, where every point gets the full GCJ-02 treatment
    lon = rng.uniform(120.8, 122.0, n_points)
    lat = rng.uniform(30.7, 31.9, n_points)
    to_utm = pyproj.Transformer.from_crs(4326, 32651, always_xy=True)
    reference = best_seconds(lambda: to_utm.transform(lon, lat))
    print(f"{n_points:,} points, best of {REPEATS}")
    print(f"{'pyproj 4326 -> UTM 51N (reference)':36s} {reference:8.3f} s   1.00x")
    for func in (
        wgs84_to_gcj02,
        gcj02_to_wgs84,
        gcj02_to_bd09,
        bd09_to_gcj02,
        wgs84_to_bd09,
        bd09_to_wgs84,
    ):
        seconds = best_seconds(lambda func=func: func(lon, lat))
        print(f"{func.__name__:36s} {seconds:8.3f} s {seconds / reference:6.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
