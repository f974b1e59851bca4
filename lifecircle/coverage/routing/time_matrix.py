"""Walking times from every demand point to every facility within a cutoff, as a sparse matrix.

The accessibility measures (:mod:`lifecircle.coverage.measures.life_circle.accessibility`:
cumulative opportunities, gravity, 2SFCA) need the time to *each* facility, not only to the
nearest one. :func:`travel_time_matrix` runs one bounded :func:`scipy.sparse.csgraph.dijkstra` per
facility over the :class:`~lifecircle.coverage.routing.split_graph.SplitGraph` (in chunks of
facilities, so memory stays ``chunk x nodes``) and reads each demand point's time off the two
split-graph nodes bracketing it::

    t(point, facility) = min(D[f, a] + to_a, D[f, b] + to_b) + leg(point)

exactly as :func:`~lifecircle.coverage.routing.travel_times.seconds_to_points` does for the
nearest facility (a facility on the point's own edge splits it, so ``a``/``b`` are the right
nodes). Pairs farther than ``limit_s`` are left out: the result is a
:class:`scipy.sparse.csr_array` whose stored entries are the reachable pairs (absent =
unreachable), the input format of the accessibility measures. There is no Python loop over
demand points; the loop over facility chunks is what bounds memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from lifecircle.coverage.routing.split_graph import SplitGraph, enter_graph
from lifecircle.typing import IndexArray

__all__ = ["travel_time_matrix"]

#: Distances held at once, at most: a chunk of facilities x split-graph nodes (or demand
#: points, whichever is more) — 4 million floats, 32 MB.
MAX_CELLS = 4_000_000


def travel_time_matrix(
    graph: SplitGraph,
    points: pd.DataFrame,
    *,
    limit_s: float,
    facilities: IndexArray | None = None,
) -> sp.csr_array:
    """Walking seconds from each demand point to each facility, up to ``limit_s``.

    Parameters
    ----------
    graph : SplitGraph
        The network compiled with the facilities (:func:`build_split_graph`); its profile
        turns metres into seconds (a 1 m/s profile without penalties gives metres).
    points : pandas.DataFrame
        :func:`~lifecircle.coverage.routing.snap.snap_points` output for the demand points.
    limit_s : float
        Pairs farther than this are not stored (unreachable).
    facilities : array of int, optional
        Facility rows (positions in the frame given to :func:`build_split_graph`), one column
        each, in this order; default every row. Unsnapped facilities give empty columns.

    Returns
    -------
    scipy.sparse.csr_array
        Shape ``(len(points), len(facilities))``; stored entries are walking seconds
        ``<= limit_s`` (an explicit 0 is a zero-second walk), absent entries unreachable.
        Unsnapped points give empty rows.
    """
    if not (limit_s >= 0):
        raise ValueError(f"limit_s must be >= 0 seconds, got {limit_s!r}")
    columns = (
        np.arange(len(graph.access_node), dtype=np.int64)
        if facilities is None
        else np.asarray(facilities, dtype=np.int64).reshape(-1)
    )
    n_points = len(points)
    shape = (n_points, len(columns))
    access = graph.access_node[columns] if len(columns) else np.empty(0, dtype=np.int64)
    usable = np.flatnonzero(access >= 0)
    if n_points == 0 or len(usable) == 0:
        return sp.csr_array(shape, dtype=np.float64)
    entry = enter_graph(graph, points)
    leg = points["snap_m"].to_numpy(dtype=float) / graph.profile.speed_m_s
    ok = np.flatnonzero(entry.snapped)
    a, b = entry.a[ok], entry.b[ok]
    to_a, to_b, leg_ok = entry.to_a_s[ok], entry.to_b_s[ok], leg[ok]
    chunk = max(1, MAX_CELLS // max(graph.n_nodes, len(ok), 1))
    rows, cols, data = [], [], []
    for start in range(0, len(usable), chunk):
        part = usable[start : start + chunk]
        dist = dijkstra(graph.csr, directed=True, indices=access[part], limit=limit_s)
        dist = np.atleast_2d(dist)
        seconds = np.minimum(dist[:, a] + to_a, dist[:, b] + to_b) + leg_ok  # (chunk, points)
        f_pos, p_pos = np.nonzero(seconds <= limit_s)
        rows.append(ok[p_pos])
        cols.append(part[f_pos])
        data.append(seconds[f_pos, p_pos])
    matrix = sp.coo_array(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )
    return sp.csr_array(matrix)
