"""Shortest walking times from facilities that sit part-way along streets.

One bounded multi-source shortest-path solve over the :class:`SplitGraph` gives every node
its nearest facility (:func:`~lifecircle.coverage.routing.kernel.multi_source`: scipy's
``dijkstra(min_only=True)``, or on large graphs a compiled kernel returning exactly the same
arrays when numba is installed); a demand point on
edge ``(u, v)`` at offset ``t`` then reaches it in ``min(D[a] + (t - t_a)·c, D[b] + (t_b -
t)·c) + leg``, where ``a`` and ``b`` bracket ``t`` on that edge (see
:func:`~lifecircle.coverage.routing.split_graph.enter_graph`), which handles a facility on
the same edge exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lifecircle.coverage.routing.kernel import multi_source
from lifecircle.coverage.routing.split_graph import (
    MIN_SECONDS,
    SplitGraph,
    build_split_graph,
    enter_graph,
)
from lifecircle.typing import FloatArray, IndexArray

__all__ = [
    "MIN_SECONDS",
    "NearestFacility",
    "SplitGraph",
    "build_split_graph",
    "nearest_facility",
    "seconds_to_points",
]


@dataclass(frozen=True)
class NearestFacility:
    """Multi-source shortest-path result over a :class:`SplitGraph`.

    Attributes
    ----------
    seconds : numpy.ndarray
        Walking seconds from the nearest facility to every split-graph node (``inf`` beyond
        ``limit_s`` or unreachable).
    facility : numpy.ndarray
        Row (position) of the nearest facility for every node, ``-1`` when unreachable.
    predecessors : numpy.ndarray
        Predecessor of every node on its shortest walk (``-9999`` at sources/unreached).
    limit_s : float
        The cutoff used.
    """

    seconds: FloatArray
    facility: IndexArray
    predecessors: NDArray[np.integer]  # int32 from scipy
    limit_s: float


def nearest_facility(
    graph: SplitGraph,
    *,
    facilities: IndexArray | None = None,
    limit_s: float = np.inf,
) -> NearestFacility:
    """Walking time from the nearest facility to every node (one multi-source Dijkstra).

    Parameters
    ----------
    graph : SplitGraph
        The compiled network (see :func:`build_split_graph`).
    facilities : array of int, optional
        Facility rows (positions in the frame given to :func:`build_split_graph`) to use as
        sources; default every snapped facility. Unsnapped rows are ignored.
    limit_s : float, default inf
        Stop searching beyond this many seconds.

    Returns
    -------
    NearestFacility
    """
    access = graph.access_node if facilities is None else graph.access_node[facilities]
    access = np.unique(access[access >= 0])
    n = graph.n_nodes
    if len(access) == 0:
        return NearestFacility(
            np.full(n, np.inf), np.full(n, -1, dtype=np.int64), np.full(n, -9999), limit_s
        )
    dist, pred, src = multi_source(graph.csr, access, limit=limit_s)
    src = np.asarray(src, dtype=np.int64)
    reached = src >= 0
    facility = np.full(n, -1, dtype=np.int64)
    facility[reached] = graph.node_facility[src[reached]]
    return NearestFacility(dist, facility, pred, limit_s)


def seconds_to_points(
    graph: SplitGraph, nearest: NearestFacility, points: pd.DataFrame
) -> tuple[FloatArray, IndexArray]:
    """Walking seconds from each snapped point to its nearest facility, and which one.

    Parameters
    ----------
    graph : SplitGraph
    nearest : NearestFacility
    points : pandas.DataFrame
        Output of :func:`~lifecircle.coverage.routing.snap.snap_points` for the demand points.

    Returns
    -------
    seconds : numpy.ndarray
        ``inf`` for unsnapped or unreachable points and for points farther than
        ``nearest.limit_s`` (counting the partial edge and the leg).
    facility : numpy.ndarray
        Facility row, ``-1`` when unreachable.
    """
    entry = enter_graph(graph, points)
    via_a = nearest.seconds[entry.a] + entry.to_a_s
    via_b = nearest.seconds[entry.b] + entry.to_b_s
    use_b = via_b < via_a
    best = np.where(use_b, via_b, via_a)
    fac = np.where(use_b, nearest.facility[entry.b], nearest.facility[entry.a])
    leg = points["snap_m"].to_numpy(dtype=float) / graph.profile.speed_m_s
    seconds = np.where(entry.snapped, best + leg, np.inf)
    seconds[seconds > nearest.limit_s] = np.inf
    fac = np.where(np.isfinite(seconds), fac, -1)
    return seconds, fac
