"""The numba-compiled parts of :mod:`lifecircle.coverage.routing.snap_kernel`.

Imported only by :func:`~lifecircle.coverage.routing.snap_kernel.nearest_edges`, so that
numba is loaded only when there are enough points to use it. See that module for the method
and why it matches GEOS exactly. No ``fastmath``: every float operation below is the one GEOS
does, in the same order, rounded the same way.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from lifecircle.typing import FloatArray

__all__ = ["bucket_segments", "snap_all"]

#: Relative width of a near tie (and of the search's safety margins): far above the few
#: units in the last place by which GEOS's envelope bounds and its distances can disagree.
_REL = 1e-9


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _point_to_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """GEOS ``Distance::pointToSegment``, operation for operation."""
    if ax == bx and ay == by:
        dx = px - ax
        dy = py - ay
        return math.sqrt(dx * dx + dy * dy)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / (
        (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    )
    if r <= 0.0:
        dx = px - ax
        dy = py - ay
        return math.sqrt(dx * dx + dy * dy)
    if r >= 1.0:
        dx = px - bx
        dy = py - by
        return math.sqrt(dx * dx + dy * dy)
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / (
        (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    )
    return abs(s) * math.sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _project(px: float, py: float, vx: FloatArray, vy: FloatArray, lo: int, hi: int) -> float:
    """GEOS ``LengthIndexOfPoint::indexOf``: the distance along the line (vertices
    ``lo..hi-1``) of the point on it nearest to ``(px, py)`` (the first nearest segment)."""
    min_distance = np.inf
    measure = -1.0
    start = 0.0
    for i in range(lo, hi - 1):
        ax, ay, bx, by = vx[i], vy[i], vx[i + 1], vy[i + 1]
        seg_distance = _point_to_segment(px, py, ax, ay, bx, by)
        if px == ax and py == ay:
            factor = 0.0
        elif px == bx and py == by:
            factor = 1.0
        elif ax == bx and ay == by:
            factor = 0.0
        else:
            dx = bx - ax
            dy = by - ay
            factor = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
        ex = ax - bx
        ey = ay - by
        seg_length = math.sqrt(ex * ex + ey * ey)
        if factor <= 0.0:
            at = start
        elif factor <= 1.0:
            at = start + factor * seg_length
        else:
            at = start + seg_length
        if seg_distance < min_distance and at > -1.0:
            measure = at
            min_distance = seg_distance
        start += seg_length
    return measure


@numba.njit(cache=True, nogil=True, error_model="numpy")
def bucket_segments(
    seg: FloatArray, origin: FloatArray, cell_m: float, shape: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Bucket segments into the grid cells their bounding boxes overlap (CSR form).

    Parameters
    ----------
    seg : numpy.ndarray
        ``(m, 4)`` segments ``ax, ay, bx, by``.
    origin : numpy.ndarray
        The grid's lower-left corner ``(x, y)``.
    cell_m : float
        Cell width.
    shape : numpy.ndarray
        Cells across and up ``(nx, ny)``; cell ``(i, j)`` is number ``j * nx + i``.

    Returns
    -------
    cell_ptr, cell_seg : numpy.ndarray
        The segments of cell ``c`` are ``cell_seg[cell_ptr[c]:cell_ptr[c + 1]]``.
    """
    nx, ny = shape[0], shape[1]
    m = seg.shape[0]
    span = np.empty((m, 4), dtype=np.int64)
    counts = np.zeros(nx * ny + 1, dtype=np.int64)
    for k in range(m):
        i0 = _cell(min(seg[k, 0], seg[k, 2]), origin[0], cell_m, nx)
        i1 = _cell(max(seg[k, 0], seg[k, 2]), origin[0], cell_m, nx)
        j0 = _cell(min(seg[k, 1], seg[k, 3]), origin[1], cell_m, ny)
        j1 = _cell(max(seg[k, 1], seg[k, 3]), origin[1], cell_m, ny)
        span[k, 0], span[k, 1], span[k, 2], span[k, 3] = i0, i1, j0, j1
        for j in range(j0, j1 + 1):
            for i in range(i0, i1 + 1):
                counts[j * nx + i + 1] += 1
    cell_ptr = np.cumsum(counts)
    fill = cell_ptr[:-1].copy()
    cell_seg = np.empty(cell_ptr[-1], dtype=np.int64)
    for k in range(m):
        for j in range(span[k, 2], span[k, 3] + 1):
            for i in range(span[k, 0], span[k, 1] + 1):
                c = j * nx + i
                cell_seg[fill[c]] = k
                fill[c] += 1
    return cell_ptr, cell_seg


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _cell(v: float, lo: float, cell_m: float, n: int) -> int:
    """The cell of coordinate ``v`` along one axis, clamped to ``0..n-1``."""
    c = math.floor((v - lo) / cell_m)
    return int(min(max(c, 0.0), n - 1.0))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def snap_all(
    xy: FloatArray,
    grid: tuple[FloatArray, float, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    seg: FloatArray,
    seg_edge: NDArray[np.int64],
    lines: tuple[FloatArray, FloatArray, NDArray[np.int64], FloatArray],
) -> tuple[NDArray[np.int64], FloatArray, FloatArray, NDArray[np.bool_]]:
    """Nearest edge, GEOS distance and GEOS normalised position of every point.

    Parameters
    ----------
    xy : numpy.ndarray
        ``(n, 2)`` finite points.
    grid : tuple
        ``(origin, cell_m, shape, cell_ptr, cell_seg)``, see :func:`bucket_segments`.
    seg : numpy.ndarray
        ``(m, 4)`` segments ``ax, ay, bx, by``.
    seg_edge : numpy.ndarray
        The edge of each segment.
    lines : tuple
        ``(vx, vy, line_ptr, length)``: every edge's vertices (edge ``e``'s are
        ``line_ptr[e]:line_ptr[e + 1]``) and its GEOS length.

    Returns
    -------
    edge, dist, fraction : numpy.ndarray
        Nearest edge, distance to it and ``GEOSProjectNormalized`` (not clipped).
    ask : numpy.ndarray
        True where the answer is not certain to be GEOS's (a near tie between edges, a
        point far outside the grid, a projection GEOS refuses): ask the STRtree there.
    """
    n = xy.shape[0]
    edge = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    fraction = np.full(n, np.nan)
    ask = np.zeros(n, dtype=np.bool_)
    seg_max = 0.0
    for k in range(seg.shape[0]):
        ex = seg[k, 0] - seg[k, 2]
        ey = seg[k, 1] - seg[k, 3]
        seg_max = max(seg_max, math.sqrt(ex * ex + ey * ey))
    vx, vy, line_ptr, length = lines
    for p in range(n):
        px, py = xy[p, 0], xy[p, 1]
        e, d = _nearest(px, py, grid, seg, seg_edge, seg_max)
        if e < 0:
            ask[p] = True
            continue
        at = _project(px, py, vx, vy, line_ptr[e], line_ptr[e + 1])
        total = length[e]
        if at == 0.0 and total == 0.0:
            f = 0.0
        elif at < 0.0 or not math.isfinite(at) or total == 0.0:
            ask[p] = True  # GEOS raises here: let the STRtree path say so
            continue
        else:
            f = at / total
        edge[p], dist[p], fraction[p] = e, d, f
    return edge, dist, fraction, ask


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _nearest(
    px: float,
    py: float,
    grid: tuple[FloatArray, float, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    seg: FloatArray,
    seg_edge: NDArray[np.int64],
    seg_max: float,
) -> tuple[int, float]:
    """The nearest edge of one point and its distance, or ``(-1, nan)`` when unsure.

    Searches square rings of cells outward from the point's cell until no unsearched cell
    can hold an edge within a near tie of the best; keeps the best edge and the best other
    edge, and gives up on a near tie between them.
    """
    origin, cell_m, shape, cell_ptr, cell_seg = grid
    nx, ny = shape[0], shape[1]
    fi = math.floor((px - origin[0]) / cell_m)
    fj = math.floor((py - origin[1]) / cell_m)
    if not (-nx <= fi <= 2 * nx and -ny <= fj <= 2 * ny):
        return -1, np.nan  # far outside: rare, and an STRtree's job
    ci, cj = int(fi), int(fj)
    k = max(0, -ci, ci - (nx - 1), -cj, cj - (ny - 1))
    margin = _REL * (cell_m + abs(origin[0]) + abs(origin[1]) + abs(px) + abs(py))
    best, other, best_len = np.inf, np.inf, 0.0
    best_edge = -1
    a0, a1, b0, b1 = 0, -1, 0, -1  # the block searched so far (empty)
    while True:
        n0, n1 = max(ci - k, 0), min(ci + k, nx - 1)
        m0, m1 = max(cj - k, 0), min(cj + k, ny - 1)
        for j in range(m0, m1 + 1):
            inside = b0 <= j <= b1
            i = n0
            while i <= n1:
                if inside and a0 <= i <= a1:
                    i = a1 + 1  # skip the row's part searched already
                    continue
                c = j * nx + i
                for t in range(cell_ptr[c], cell_ptr[c + 1]):
                    s = cell_seg[t]
                    ax, ay, bx, by = seg[s, 0], seg[s, 1], seg[s, 2], seg[s, 3]
                    d = _point_to_segment(px, py, ax, ay, bx, by)
                    e = seg_edge[s]
                    if e == best_edge:
                        if d < best:
                            best = d
                            best_len = math.sqrt((ax - bx) * (ax - bx) + (ay - by) * (ay - by))
                    elif d < best:
                        other = best
                        best, best_edge = d, e
                        best_len = math.sqrt((ax - bx) * (ax - bx) + (ay - by) * (ay - by))
                    elif d < other:
                        other = d
                i += 1
        a0, a1, b0, b1 = n0, n1, m0, m1
        bound = np.inf  # no unsearched cell is nearer than this
        if a0 > 0:
            bound = min(bound, px - (origin[0] + a0 * cell_m))
        if a1 < nx - 1:
            bound = min(bound, origin[0] + (a1 + 1) * cell_m - px)
        if b0 > 0:
            bound = min(bound, py - (origin[1] + b0 * cell_m))
        if b1 < ny - 1:
            bound = min(bound, origin[1] + (b1 + 1) * cell_m - py)
        tie = _REL * (best + best_len)
        if bound == np.inf or bound - margin - _REL * (bound + seg_max) > best + tie:
            break
        k += 1
    if not (best < np.inf) or other - best <= tie:
        return -1, np.nan
    return best_edge, best
