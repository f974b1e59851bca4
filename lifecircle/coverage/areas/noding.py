"""Node street lines where they cross, touching only the few places that need it.

Polygonising lines needs them *noded*: meeting only at their ends. A street network nearly
is: its edges meet at junctions, and only bridges, tunnels, drawn-over ways and snapped
T-junctions cross or touch elsewhere. GEOS's noder (``shapely.node``) works through every
segment all the same (1.8 s for a 100,000-node city with 46 crossings). :func:`node_lines`
first asks GEOS, tile by tile, whether the lines in a tile are simple (``is_simple``: they
meet only at their ends), which is ten times cheaper, and nodes only the lines of the tiles
that are not. Each line goes into every tile its bounding box reaches, so two lines that
meet share a tile and are noded together.
"""

from __future__ import annotations

import numpy as np
import shapely

from lifecircle.typing import GeometryArray, IndexArray

__all__ = ["TOUCH_M", "node_lines"]

#: How near (metres) a piece's midpoint must lie to a line to be a piece of it: far above
#: the rounding of an interpolated point, far below any street.
TOUCH_M = 1e-6

#: Lines per tile on average: small enough that the lines of a dirty tile are few, large
#: enough that the per-tile calls stay cheap.
LINES_PER_TILE = 64


def node_lines(lines: GeometryArray) -> tuple[GeometryArray, IndexArray, IndexArray]:
    """Return the lines noded (meeting only at their ends), and which lines each comes from.

    Parameters
    ----------
    lines : numpy.ndarray of shapely.LineString
        None missing or empty.

    Returns
    -------
    segments : numpy.ndarray of shapely.LineString
        The lines that needed no noding, as they are, then the noded pieces of the rest
        (as ``shapely.node`` cuts them). Zero-length lines are left out, as the noder
        leaves them out.
    segment_of, line_of : numpy.ndarray
        Pairs: segment ``segment_of[k]`` is (a piece of) line ``line_of[k]``. A piece that
        several lines share (where they overlap) is paired with each.
    """
    lines = np.asarray(lines, dtype=object)
    kept = np.flatnonzero(shapely.length(lines) > 0)
    if len(kept) == 0:
        empty = np.empty(0, dtype=np.int64)
        return np.empty(0, dtype=object), empty, empty
    dirty = _dirty_lines(lines[kept])
    clean = kept[~dirty]
    messy = kept[dirty]
    if len(messy) == 0:
        order = np.arange(len(clean), dtype=np.int64)
        return lines[clean], order, clean.astype(np.int64)
    pieces = shapely.get_parts(shapely.node(shapely.multilinestrings(lines[messy])))
    mid = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    piece, parent = shapely.STRtree(lines[messy]).query(mid, predicate="dwithin", distance=TOUCH_M)
    segments = np.concatenate([lines[clean], pieces]).astype(object)
    segment_of = np.concatenate([np.arange(len(clean)), len(clean) + piece]).astype(np.int64)
    line_of = np.concatenate([clean, messy[parent]]).astype(np.int64)
    return segments, segment_of, line_of


def _dirty_lines(lines: GeometryArray) -> np.ndarray:
    """The lines in a tile whose lines meet anywhere but at their ends."""
    x0, y0, x1, y1 = (b for b in shapely.bounds(lines).T)
    bx0, by0, bx1, by1 = float(x0.min()), float(y0.min()), float(x1.max()), float(y1.max())
    n_tiles = max(1, len(lines) // LINES_PER_TILE)
    side = max(np.sqrt(max(bx1 - bx0, 1e-9) * max(by1 - by0, 1e-9) / n_tiles), 1e-9)
    nx = int((bx1 - bx0) // side) + 1
    ix0 = ((x0 - bx0) // side).astype(np.int64)
    ix1 = ((x1 - bx0) // side).astype(np.int64)
    iy0 = ((y0 - by0) // side).astype(np.int64)
    iy1 = ((y1 - by0) // side).astype(np.int64)
    span_x, span_y = ix1 - ix0 + 1, iy1 - iy0 + 1
    count = span_x * span_y
    line = np.repeat(np.arange(len(lines)), count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    tile = (iy0[line] + k // span_x[line]) * nx + ix0[line] + k % span_x[line]
    order = np.argsort(tile, kind="stable")
    tile, line = tile[order], line[order]
    _, dense = np.unique(tile, return_inverse=True)
    simple = shapely.is_simple(shapely.multilinestrings(lines[line], indices=dense))
    dirty = np.zeros(len(lines), dtype=bool)
    dirty[line[~simple[dense]]] = True
    return dirty
