"""A compiled nearest-edge search that returns exactly what shapely's STRtree does.

:func:`nearest_edges` gives, for each point, the edge ``STRtree.query_nearest(points,
return_distance=True, all_matches=False)`` picks, the same distance and the same
``line_locate_point(line, point, normalized=True)``, bit for bit, without making a shapely
Point. It uses a numba-compiled kernel (the ``lifecircle[fast]`` extra); the snapping
module calls it for large inputs only (:data:`MIN_KERNEL_POINTS`) and keeps the STRtree
otherwise.

How it works, and why it matches GEOS exactly.

1. **Search.** The edges' segments are bucketed once per network into a uniform grid of
   cells about one segment wide (:func:`edge_grid`, cached like the STRtree). For each
   point the kernel searches square rings of cells outward from the point's cell and stops
   when the nearest unsearched cell is farther than the best edge found (with a margin).
2. **Distances.** A point's distance to an edge is the minimum over its segments of
   GEOS's ``Distance::pointToSegment``, computed with the same operations in the same order
   (no ``fastmath``), so the same floats as ``GEOSDistance``: the distance the STRtree
   reports. The edge at the least distance is the one the STRtree returns whenever it is
   the only one within a near tie (a relative 1e-9, far above the few units in the last
   place by which GEOS's envelope bounds can undercut its distances).
3. **Ties.** When two edges tie (a point of a regular lattice half-way between two
   streets, duplicated edges, a point on a crossing), the STRtree returns the first one its
   traversal meets, which depends on the tree's layout. The kernel keeps the best *other*
   edge too, and hands such points back (``ask``) to be snapped by the STRtree itself.
4. **Position.** ``GEOSProjectNormalized``: GEOS's ``LengthIndexOfPoint`` (the first
   nearest segment, its projection factor with the same early exits) divided by the
   line's GEOS length (``shapely.length``), with GEOS's zero-length rule.

Tests compare it with the STRtree path on random networks (ties, duplicated and
zero-length edges, huge projected coordinates), the synthetic city and real streets
(``tests/test_snap_kernel.py``).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.typing import FloatArray

__all__ = ["MIN_KERNEL_POINTS", "USE_KERNEL", "EdgeGrid", "edge_grid", "nearest_edges"]

#: Below this many points the snapping module keeps the STRtree: loading numba and the
#: compiled kernel (about 0.2 s CPU, once per process) and bucketing the edges would cost
#: more than the kernel saves (``benchmarks/bench_snap.py``).
MIN_KERNEL_POINTS = 100_000
#: Turn the kernel off (tests force the STRtree path with it).
USE_KERNEL = True
#: Grid cell width: this multiple of the median segment length (0.5 measured 20% faster
#: than 1.0 and 2x faster than 2.0 on the synthetic city; real networks hit the cap below).
CELL_PER_MEDIAN = 0.5
#: At most this many cells per segment (a wider cell beyond it: sparse networks).
MAX_CELLS_PER_SEGMENT = 4


@dataclass(frozen=True)
class EdgeGrid:
    """A network's edge segments bucketed into a uniform grid (for the compiled search).

    Attributes
    ----------
    grid : tuple
        ``(origin, cell_m, shape, cell_ptr, cell_seg)``: the lower-left corner, the cell
        width, the cells across and up, and each cell's segments in CSR form.
    segments : numpy.ndarray
        ``(m, 4)`` segments ``ax, ay, bx, by``.
    segment_edge : numpy.ndarray
        The edge of each segment.
    lines : tuple
        ``(vx, vy, line_ptr, length)``: every edge's vertices and GEOS length.
    """

    grid: tuple[FloatArray, float, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]
    segments: FloatArray
    segment_edge: NDArray[np.int64]
    lines: tuple[FloatArray, FloatArray, NDArray[np.int64], FloatArray]


_GRIDS: weakref.WeakKeyDictionary[WalkNetwork, EdgeGrid | None] = weakref.WeakKeyDictionary()


def edge_grid(network: WalkNetwork) -> EdgeGrid | None:
    """The network's :class:`EdgeGrid` (built once per network object).

    None when some edge is not a plain LineString with finite coordinates (the kernel
    mirrors GEOS for those only; the STRtree handles the rest).
    """
    if network in _GRIDS:
        return _GRIDS[network]
    grid = _build_grid(network.edges.geometry.to_numpy())
    _GRIDS[network] = grid
    return grid


def _build_grid(geoms: NDArray[np.object_]) -> EdgeGrid | None:
    kinds = shapely.get_type_id(geoms)
    if len(geoms) == 0 or not (kinds == shapely.GeometryType.LINESTRING).all():
        return None
    if shapely.is_empty(geoms).any():
        return None
    xy, line = shapely.get_coordinates(geoms, return_index=True)
    if not np.isfinite(xy).all():
        return None
    line_ptr = np.zeros(len(geoms) + 1, dtype=np.int64)
    np.cumsum(np.bincount(line, minlength=len(geoms)), out=line_ptr[1:])
    start = np.flatnonzero(line[:-1] == line[1:])
    segments = np.column_stack([xy[start], xy[start + 1]])
    seg_len = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    positive = seg_len[seg_len > 0]
    cell_m = float(np.median(positive)) * CELL_PER_MEDIAN if len(positive) else 1.0
    span = float(max(hi[0] - lo[0], hi[1] - lo[1]))
    # cells: about one per segment; fewer (wider) when the edges are sparse in their box
    cell_m = max(cell_m, span / 4096, 1e-6 * max(1.0, float(np.abs(lo).max())))
    while _cells(lo, hi, cell_m) > MAX_CELLS_PER_SEGMENT * len(segments) + 1024:
        cell_m *= 2.0
    shape = np.array([_cells_along(lo[0], hi[0], cell_m), _cells_along(lo[1], hi[1], cell_m)])
    # segments in the order of their first vertex's cell: a cell's neighbours' segments lie
    # near it in memory (the order changes no answer: every comparison is a minimum)
    ij = np.minimum(((xy[start] - lo) // cell_m).astype(np.int64), shape - 1)
    order = np.argsort(ij[:, 1] * shape[0] + ij[:, 0], kind="stable")
    start, segments = start[order], segments[order]
    cell_ptr, cell_seg = _compiled("bucket_segments")(segments, lo, cell_m, shape)
    length = shapely.length(geoms).astype(np.float64)
    return EdgeGrid(
        grid=(lo, cell_m, shape, cell_ptr, cell_seg),
        segments=segments,
        segment_edge=line[start].astype(np.int64),
        lines=(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), line_ptr, length),
    )


def _cells_along(lo: float, hi: float, cell_m: float) -> int:
    return int((hi - lo) // cell_m) + 1


def _cells(lo: FloatArray, hi: FloatArray, cell_m: float) -> int:
    return _cells_along(lo[0], hi[0], cell_m) * _cells_along(lo[1], hi[1], cell_m)


def nearest_edges(
    network: WalkNetwork, xy: FloatArray
) -> tuple[NDArray[np.int64], FloatArray, FloatArray, NDArray[np.bool_]] | None:
    """Nearest edge, distance and normalised position along it of each point.

    Parameters
    ----------
    network : WalkNetwork
    xy : numpy.ndarray
        ``(n, 2)`` finite coordinates in ``network.crs``.

    Returns
    -------
    edge, snap_m, fraction, ask : numpy.ndarray or None
        Where ``ask`` is False: the edge ``STRtree.query_nearest`` returns, its distance
        and ``line_locate_point(..., normalized=True)`` (not clipped), bit for bit. Where
        ``ask`` is True (near ties, points far outside the network's box), nothing: snap
        those with the STRtree. None when the network's edges are not all plain
        LineStrings.
    """
    grid = edge_grid(network)
    if grid is None:
        return None
    xy = np.ascontiguousarray(xy, dtype=np.float64).reshape(-1, 2)
    edge, snap_m, fraction, ask = _compiled("snap_all")(
        xy, grid.grid, grid.segments, grid.segment_edge, grid.lines
    )
    return edge, snap_m, fraction, ask


@functools.cache
def _compiled(name: str) -> Callable[..., Any]:
    """A jitted function (importing numba and loading its cached machine code on first use)."""
    from lifecircle.coverage.routing import snap_kernel_numba

    func: Callable[..., Any] = getattr(snap_kernel_numba, name)
    return func
