"""A compiled bounded multi-source Dijkstra that returns exactly what scipy's does.

:func:`multi_source` is a drop-in for ``scipy.sparse.csgraph.dijkstra(csr, directed=True,
indices=sources, min_only=True, limit=limit, return_predecessors=True)``: the same
distances, the same predecessor of every node and the same source, bit for bit. It uses a
numba-compiled kernel when numba is installed (the ``lifecircle[fast]`` extra) and the graph
is large enough for the kernel to pay for itself (:data:`MIN_KERNEL_NODES`); otherwise it
calls scipy.

How the kernel works, and why it matches scipy exactly.

1. **Distances.** Label correcting over buckets about one edge wide (a sequential
   delta-stepping): buckets are emptied in order of distance, a node is scanned again only
   if its label dropped since its last scan, and plain arrays replace scipy's Fibonacci
   heap. The result is the unique solution of ``D[x] = min over y of D[y] + w(y, x)`` in
   floating point (0 at the sources, unreached beyond the limit): every label is a walk's
   left-to-right sum and no edge can lower one further. Addition of non-negative numbers
   is monotone in floating point, so that solution is the minimum over walks of their
   sums, which is what scipy's Dijkstra returns too, bit for bit.
2. **Predecessors and sources.** scipy's search gives node ``x`` the predecessor ``y`` whose
   scan first set ``x`` to its final distance: the *tight* neighbour (``D[y] + w(y, x) ==
   D[x]``) with the smallest ``D[y]``, because nodes are scanned in order of distance and a
   label is replaced only by a strictly smaller one. The kernel picks that neighbour from
   the final distances in one pass over the edges, then follows predecessors to the source.
   Only when two tight neighbours have *exactly* the same distance does scipy's choice
   depend on its heap's internal order; the kernel then reports the tie and
   :func:`multi_source` hands the whole solve to scipy, so the answer is scipy's always.

The brief's first idea, one search per facility pruned against the best distances so far
(re-labelling each node about ``ln k`` times), measured 0.9x scipy at 1M nodes here: the
buckets measured faster (``benchmarks/bench_kernel.py``).

Compile time is paid once per machine: the kernel is compiled with ``cache=True`` (numba
stores it beside this module, or in its user cache directory when that is read-only).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from lifecircle.typing import FloatArray, IndexArray

__all__ = ["MIN_KERNEL_NODES", "kernel_available", "multi_source", "multi_source_kernel"]

#: Below this many nodes :func:`multi_source` calls scipy: a solve there takes tens of
#: milliseconds, and importing numba and loading the kernel (about 0.15-0.3 s CPU, once per
#: process) would cost more than the kernel saves (``benchmarks/bench_kernel.py``).
MIN_KERNEL_NODES = 200_000
#: scipy's marker for "no predecessor / no source".
NO_NODE = -9999
#: Turn the kernel off (tests force the scipy path with it; see also :func:`kernel_available`).
USE_KERNEL = True
#: Bucket width: this multiple of the median edge weight (of a sample of the edges).
_WIDTH_PER_MEDIAN = 1.0
#: At most this many buckets (a wider bucket beyond it).
_MAX_BUCKETS = 1 << 20


@functools.cache
def kernel_available() -> bool:
    """Whether numba is installed (without importing it)."""
    return importlib.util.find_spec("numba") is not None


def multi_source(
    csr: csr_array, sources: IndexArray, *, limit: float
) -> tuple[FloatArray, NDArray[np.int32], NDArray[np.int32]]:
    """Bounded multi-source shortest paths: distance, predecessor and source of every node.

    Parameters
    ----------
    csr : scipy.sparse.csr_array
        Non-negative edge weights (``csr[i, j]``: from ``i`` to ``j``); stored entries are
        the edges.
    sources : array of int
        Distinct source nodes.
    limit : float
        Nodes farther than this are unreached.

    Returns
    -------
    dist, pred, source : numpy.ndarray
        As ``scipy.sparse.csgraph.dijkstra(..., min_only=True, return_predecessors=True)``:
        ``inf`` / ``-9999`` / ``-9999`` for unreached nodes.
    """
    n = int(csr.shape[0])
    use = USE_KERNEL and n >= MIN_KERNEL_NODES and len(sources) and np.isfinite(limit)
    if use and kernel_available():
        out = multi_source_kernel(csr, sources, limit=limit)
        if out is not None:
            return out
    dist, pred, src = dijkstra(
        csr, directed=True, indices=sources, min_only=True, limit=limit, return_predecessors=True
    )
    return dist, pred, src


def multi_source_kernel(
    csr: csr_array, sources: IndexArray, *, limit: float
) -> tuple[FloatArray, NDArray[np.int32], NDArray[np.int32]] | None:
    """The compiled solve of :func:`multi_source`, or None where it cannot match scipy.

    None when two equally near predecessors make scipy's choice depend on its heap order,
    or when an edge's weight is so small that a node and its predecessor tie. Needs numba
    and a finite ``limit``.

    Raises
    ------
    ValueError
        For a negative or NaN weight, or an infinite ``limit``.
    """
    if not np.isfinite(limit):
        raise ValueError(f"the kernel needs a finite limit, got {limit}")
    data = np.asarray(csr.data, dtype=np.float64)
    if len(data) and not data.min() >= 0:  # catches NaN too
        raise ValueError("edge weights must be non-negative numbers")
    sample = data[:: max(1, len(data) // 4096)]
    positive = sample[sample > 0]
    width = float(np.median(positive)) * _WIDTH_PER_MEDIAN if len(positive) else 1.0
    width = max(width, float(limit) / _MAX_BUCKETS, 1e-300)
    solve = _compiled()
    indptr = np.asarray(csr.indptr, dtype=np.int64)
    indices = (
        csr.indices if csr.indices.dtype in (np.int32, np.int64) else csr.indices.astype(np.int64)
    )
    src = np.asarray(sources, dtype=np.int64)
    room = int(csr.shape[0]) + len(src) + 16
    dist, pred, root, ok = solve(indptr, indices, data, src, float(limit), width, room)
    if not ok:
        return None
    return dist, pred, root


@functools.cache
def _compiled() -> Callable[..., Any]:
    """The jitted solve (importing numba and loading its cached machine code on first use)."""
    from lifecircle.coverage.routing import kernel_numba

    return kernel_numba.solve
