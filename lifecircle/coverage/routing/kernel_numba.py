"""The numba-compiled parts of :mod:`lifecircle.coverage.routing.kernel`.

Imported only by :func:`~lifecircle.coverage.routing.kernel.multi_source_kernel`, so that
numba is loaded only when a graph is large enough to use it. See that module for the method
and why it matches scipy exactly.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from lifecircle.typing import FloatArray

__all__ = ["solve"]

_NONE = -9999  # scipy's "no predecessor / no source"


@numba.njit(cache=True, nogil=True)
def solve(
    indptr: NDArray[np.int64],
    indices: NDArray[np.int32] | NDArray[np.int64],
    data: FloatArray,
    sources: NDArray[np.int64],
    limit: float,
    width: float,
    room: int,
) -> tuple[FloatArray, NDArray[np.int32], NDArray[np.int32], bool]:
    """Distances, scipy's predecessors and sources, and whether they are unambiguous.

    Parameters
    ----------
    indptr, indices, data : numpy.ndarray
        The graph in CSR form (int64, int64, float64).
    sources : numpy.ndarray
        Distinct source nodes.
    limit : float
        Search limit, finite (a node at exactly ``limit`` is reached).
    width : float
        Bucket width in the units of ``data`` (about a typical edge: wider buckets scan
        nodes more than once, narrower ones are emptied more often).
    room : int
        Queue entries to allocate at first (about the number of nodes; doubled as needed).

    Returns
    -------
    dist, pred, root : numpy.ndarray
        Distance, predecessor and source of each node (``inf``, -9999, -9999: unreached).
    ok : bool
        False when scipy's predecessor of some node depends on its heap order (two tight
        neighbours at exactly the same distance) or on a weight too small to count.
    """
    dist = _distances(indptr, indices, data, sources, limit, width, room)
    pred, root, ok = _tree(indptr, indices, data, sources, dist)
    return dist, pred, root, ok


@numba.njit(cache=True, nogil=True)
def _tree(
    indptr: NDArray[np.int64],
    indices: NDArray[np.int32] | NDArray[np.int64],
    data: FloatArray,
    sources: NDArray[np.int64],
    dist: FloatArray,
) -> tuple[NDArray[np.int32], NDArray[np.int32], bool]:
    """scipy's predecessor of each node (its tight in-neighbour of least distance), then
    each node's source by following predecessors."""
    n = len(indptr) - 1
    pred = np.full(n, _NONE, dtype=np.int32)
    root = np.full(n, _NONE, dtype=np.int32)
    pred_d = np.full(n, np.inf)
    tie = np.zeros(n, dtype=np.bool_)
    for s in sources:
        root[s] = s
    for y in range(n):
        dy = dist[y]
        if dy == np.inf:
            continue
        for j in range(indptr[y], indptr[y + 1]):
            x = indices[j]
            if root[x] == x or dy + data[j] != dist[x]:
                continue  # a source, or not on a shortest walk to x
            if dy >= dist[x]:
                return pred, root, False
            if dy < pred_d[x]:
                pred_d[x] = dy
                pred[x] = y
                tie[x] = False
            elif dy == pred_d[x] and y != pred[x]:
                tie[x] = True
    for x in range(n):
        if dist[x] == np.inf or root[x] == x:
            continue
        if tie[x] or pred[x] == _NONE:
            return pred, root, False
    # predecessors form a forest rooted at the sources: chase them, compressing paths
    for x in range(n):
        if root[x] != _NONE or pred[x] == _NONE:
            continue
        r = x
        while root[r] == _NONE:
            r = pred[r]
        top = root[r]
        r = x
        while root[r] == _NONE:
            root[r] = top
            r = pred[r]
    return pred, root, True


@numba.njit(cache=True, nogil=True)
def _distances(
    indptr: NDArray[np.int64],
    indices: NDArray[np.int32] | NDArray[np.int64],
    data: FloatArray,
    sources: NDArray[np.int64],
    limit: float,
    width: float,
    room: int,
) -> FloatArray:
    """Bounded multi-source distances by label correcting over buckets of ``width`` seconds.

    Bucket ``b`` is a first-in first-out queue of the nodes whose label fell in
    ``[b·width, (b+1)·width)`` when it was set. Buckets are emptied in order; a node is
    scanned again only when its label dropped since its last scan (a relaxation never
    lowers a label below the scanning node's, so never into an emptied bucket). When every
    bucket is empty, each reached node has been scanned at its final label, so ``best[x] <=
    best[y] + w(y, x)`` holds on every edge and every label is a walk's sum: the minimum
    walk sums, the same floats as any Dijkstra. First-in first-out keeps the scan close to
    Dijkstra's order (few re-scans) and each facility's wavefront together in memory.
    """
    n = len(indptr) - 1
    best = np.full(n, np.inf)
    scanned = np.full(n, -1.0)
    n_buckets = int(limit / width) + 2
    head = np.full(n_buckets, -1, dtype=np.int64)
    tail = np.full(n_buckets, -1, dtype=np.int64)
    cap = max(room, len(sources))
    ent_node = np.empty(cap, dtype=np.int64)
    ent_next = np.empty(cap, dtype=np.int64)
    m = 0
    for s in sources:
        best[s] = 0.0
        ent_node[m] = s
        ent_next[m] = -1
        if head[0] == -1:
            head[0] = m
        else:
            ent_next[tail[0]] = m
        tail[0] = m
        m += 1
    queues = (head, tail)
    bucket = 0
    while True:  # the scan stops when its entry arrays are full; grow them and go on
        m, bucket = _scan(indptr, indices, data, limit, width, best, scanned, queues,
                          ent_node, ent_next, m, bucket)  # fmt: skip
        if bucket < 0:
            return best
        grown = np.empty(2 * len(ent_node), dtype=np.int64)
        grown[:m] = ent_node[:m]
        ent_node = grown
        grown = np.empty(2 * len(ent_next), dtype=np.int64)
        grown[:m] = ent_next[:m]
        ent_next = grown


@numba.njit(cache=True, nogil=True)
def _scan(
    indptr: NDArray[np.int64],
    indices: NDArray[np.int32] | NDArray[np.int64],
    data: FloatArray,
    limit: float,
    width: float,
    best: FloatArray,
    scanned: FloatArray,
    queues: tuple[NDArray[np.int64], NDArray[np.int64]],
    ent_node: NDArray[np.int64],
    ent_next: NDArray[np.int64],
    m: int,
    first: int,
) -> tuple[int, int]:
    """Empty the buckets from ``first`` on; return (entries used, -1), or (entries used,
    the bucket to resume at) when a scan might not fit in the entry arrays."""
    head, tail = queues
    cap = len(ent_node)
    for b in range(first, len(head)):
        while head[b] != -1:
            e = head[b]
            v = ent_node[e]
            if m + indptr[v + 1] - indptr[v] > cap:
                return m, b
            head[b] = ent_next[e]
            d = best[v]
            if scanned[v] == d:
                continue  # an older entry of a node already scanned at this label
            scanned[v] = d
            for j in range(indptr[v], indptr[v + 1]):
                u = indices[j]
                nd = d + data[j]
                if nd < best[u] and nd <= limit:
                    best[u] = nd
                    nb = int(nd / width)
                    ent_node[m] = u
                    ent_next[m] = -1
                    if head[nb] == -1:
                        head[nb] = m
                    else:
                        ent_next[tail[nb]] = m
                    tail[nb] = m
                    m += 1
    return m, -1
