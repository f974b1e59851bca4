"""Graph-level kernels for incremental what-if: edit the split graph, re-solve one region.

A full coverage solve compiles the walking network with every facility's edge split at its
snap offset (:func:`~lifecircle.coverage.routing.split_graph.build_split_graph`) and runs one
bounded multi-source Dijkstra per service. When one facility is added, moved or removed,
almost everything stays the same. This module keeps the compiled graph editable
(:class:`SiteGraph`: add or remove one site in a few array passes, without recompiling)
and re-solves only the nodes that can change (:func:`region_nodes`,
:func:`resolve_region`).

Why the result is *exactly* the full solve's, not just close. With positive edge weights,
the bounded Dijkstra distances are the unique solution of ``D[x] = min over neighbours y of
fl(D[y] + w(y, x))`` (0 at sources, ``inf`` beyond the limit), whatever the node numbering:
floating-point addition is monotone, so the usual uniqueness argument holds bit for bit.
Hence:

* the edited graph must be the same *weighted graph* as a fresh split graph for the new
  facility set (same pieces, same ``(t_end - t_start) * seconds_per_m`` weights, the
  fastest of parallel edges, :data:`MIN_SECONDS` floors) — node numbers may differ, and here
  new nodes are appended and retired ones left isolated;
* only nodes within the search limit of the edited edges can change (every path that gains
  or loses a facility, or crosses a re-split edge, passes through one of the edge's nodes);
  :func:`region_nodes` finds them with one bounded Dijkstra from those nodes;
* inside that region, a Dijkstra from a *super-source* joined to each region node by the best
  ``D[y] + w(y, x)`` over its neighbours ``y`` outside the region (plus the region's own
  facilities at 0) solves the same equations with the same boundary values, so it returns
  the same floats. Which facility a node is assigned may differ only where two facilities
  are exactly equally near (the multi-source solve breaks such ties its own way).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from lifecircle.coverage.routing.split_graph import MIN_SECONDS, SplitGraph
from lifecircle.frozen_mapping import FrozenMapping
from lifecircle.typing import FloatArray, IndexArray

__all__ = ["SiteGraph", "affected_nodes", "region_nodes", "resolve_region"]

_TOL_M = 1e-9  # as build_split_graph: offsets this close to an end sit on the end node
#: Region radius slack: absorbs float rounding between a path's sum from a facility and from
#: an edited edge's node (relative 1e-9 and 1 microsecond: far above the rounding, far below
#: a metre).
_SLACK_REL, _SLACK_S = 1e-9, 1e-6


@dataclass(frozen=True, eq=False)
class SiteGraph:
    """An editable split graph: the walking network with facility sites split in.

    Built from a :class:`SplitGraph` (:meth:`from_split_graph`); :meth:`edit` returns a new
    graph with sites removed and added, and the nodes whose surroundings changed. Node
    numbers are stable: base nodes first, then the split graph's virtual and access nodes,
    then nodes appended by later edits (a removed site's nodes stay, isolated).

    Attributes
    ----------
    csr : scipy.sparse.csr_array
        Symmetric matrix of walking seconds (rows need not be sorted).
    edge_u, edge_v : numpy.ndarray
        End nodes of each network edge.
    length_m, edge_seconds, seconds_per_m : numpy.ndarray
        Per network edge: length, unsplit walking seconds (before the :data:`MIN_SECONDS`
        floor) and seconds per metre, as the split graph computes them.
    speed_m_s : float
        Walking speed (for access legs).
    splits : mapping
        Edge -> sorted tuple of ``(offset_m, node, n_sites)`` of its interior split points.
    site_node : mapping
        Access node -> ``(edge, offset_m, split node)`` of each live site (edge ``-1`` for a
        site at a street corner).
    node_edge : numpy.ndarray
        The network edge of each split node (``-1`` for the other nodes).
    """

    csr: csr_array
    edge_u: IndexArray
    edge_v: IndexArray
    length_m: FloatArray
    edge_seconds: FloatArray
    seconds_per_m: FloatArray
    speed_m_s: float
    splits: Mapping[int, tuple[tuple[float, int, int], ...]]
    site_node: Mapping[int, tuple[int, float, int]]
    node_edge: IndexArray
    _pair_order: IndexArray
    _pair_key: IndexArray
    _key_base: int

    @property
    def n_nodes(self) -> int:
        """Number of nodes (retired ones included)."""
        return int(self.csr.shape[0])

    @classmethod
    def from_split_graph(cls, graph: SplitGraph, *, offsets_m: FloatArray) -> SiteGraph:
        """Wrap a split graph built by :func:`build_split_graph`.

        Parameters
        ----------
        graph : SplitGraph
        offsets_m : numpy.ndarray
            The ``offset_m`` of each facility row given to :func:`build_split_graph`
            (unsnapped rows are ignored).
        """
        edges = graph.network.edges
        u = edges["u"].to_numpy(dtype=np.int64)
        v = edges["v"].to_numpy(dtype=np.int64)
        length = edges["length_m"].to_numpy(dtype=float)
        seconds = graph.profile.edge_seconds(edges)
        splits: dict[int, dict[float, list[int]]] = {}
        for e, off, node in zip(graph.vn_edge, graph.vn_offset_m, graph.vn_node, strict=True):
            splits.setdefault(int(e), {})[float(off)] = [int(node), 0]
        sites: dict[int, tuple[int, float, int]] = {}
        vn_of_node = {int(n): (int(e), float(o)) for e, o, n in zip(
            graph.vn_edge, graph.vn_offset_m, graph.vn_node, strict=True)}  # fmt: skip
        for row, acc in enumerate(graph.access_node):
            if acc < 0:
                continue
            split = int(graph.seg_v[graph.entry_segment[graph.csr.indptr[acc]]])
            if split == acc:
                split = int(graph.seg_u[graph.entry_segment[graph.csr.indptr[acc]]])
            e_o = vn_of_node.get(split)
            if e_o is not None:
                splits[e_o[0]][e_o[1]][1] += 1
                sites[int(acc)] = (e_o[0], e_o[1], split)
            else:
                sites[int(acc)] = (-1, float(offsets_m[row]), split)
        key_base = graph.n_base + 1
        key = np.minimum(u, v) * key_base + np.maximum(u, v)
        order = np.argsort(key, kind="stable")
        return cls(
            csr=graph.csr,
            edge_u=u,
            edge_v=v,
            length_m=length,
            edge_seconds=seconds,
            seconds_per_m=graph.edge_seconds_per_m,
            speed_m_s=graph.profile.speed_m_s,
            splits=FrozenMapping(
                {e: tuple((o, n, c) for o, (n, c) in sorted(d.items())) for e, d in splits.items()}
            ),
            site_node=FrozenMapping(sites),
            node_edge=_node_edge(graph),
            _pair_order=order,
            _pair_key=key[order],
            _key_base=key_base,
        )

    # ---- edits ---------------------------------------------------------------------------

    def edit(
        self,
        *,
        remove: list[int] | tuple[int, ...] = (),
        add: list[tuple[int, float, float]] | tuple[tuple[int, float, float], ...] = (),
    ) -> tuple[SiteGraph, list[int], IndexArray]:
        """Remove and add facility sites in one pass over the stored entries.

        Parameters
        ----------
        remove : sequence of int
            Access nodes of the sites to remove.
        add : sequence of (edge, offset_m, snap_m)
            New sites: snapped onto ``edge`` at ``offset_m`` (clipped to the edge),
            ``snap_m`` off the street.

        Returns
        -------
        graph : SiteGraph
            The edited graph (this one is unchanged).
        access : list of int
            The new sites' access nodes, in ``add`` order.
        touched : numpy.ndarray
            Nodes of the edited edges (their ends and split points, old and new) and the
            sites' access and split nodes: every changed walk passes through one of them.
        """
        sites = dict(self.site_node)
        chains: dict[int, dict[float, list[int]]] = {}
        n = self.n_nodes
        drops: list[tuple[int, int]] = []
        rows: list[tuple[int, int, float]] = []
        touched: list[int] = []
        new_vn: list[tuple[int, int]] = []

        def chain_of(edge: int) -> dict[float, list[int]]:
            if edge not in chains:
                chains[edge] = {o: [nd, c] for o, nd, c in self.splits.get(edge, ())}
            return chains[edge]

        for acc in remove:
            edge, off, split = sites.pop(acc)
            drops += [(acc, split), (split, acc)]
            touched += [acc, split]
            if edge >= 0:
                chain = chain_of(edge)
                chain[off][1] -= 1
                if chain[off][1] == 0:
                    del chain[off]
        access = []
        for edge, offset_m, snap_m in add:
            length = float(self.length_m[edge])
            off = min(max(float(offset_m), 0.0), length)
            chain = chain_of(edge)
            interior = _TOL_M < off < length - _TOL_M
            if not interior:
                split = int(self.edge_u[edge] if off <= _TOL_M else self.edge_v[edge])
            elif off in chain:
                split = chain[off][0]
                chain[off][1] += 1
            else:
                split, n = n, n + 1
                chain[off] = [split, 1]
                new_vn.append((split, edge))
            acc, n = n, n + 1
            leg = max(float(snap_m) / self.speed_m_s, MIN_SECONDS)
            rows += [(acc, split, leg), (split, acc, leg)]
            sites[acc] = (edge if interior else -1, off, split)
            touched += [acc, split]
            access.append(acc)
        splits = dict(self.splits)
        for edge, chain in chains.items():
            old = self._chain_nodes(edge, self.splits.get(edge, ()))
            new_split = tuple((o, nd, c) for o, (nd, c) in sorted(chain.items()))
            if new_split:
                splits[edge] = new_split
            else:
                splits.pop(edge, None)
            u, v = int(self.edge_u[edge]), int(self.edge_v[edge])
            drops += [p for a, b in itertools.pairwise(old) for p in ((a, b), (b, a))]
            drops += [(u, v), (v, u)]
            rows += self._chain_rows(edge, new_split)
            fastest = self._unsplit_parallel(u, v, splits)
            if fastest is not None and u != v:
                rows += [(u, v, fastest), (v, u, fastest)]
            touched += old + self._chain_nodes(edge, new_split)
        node_edge = self.node_edge
        if n > len(node_edge):
            node_edge = np.concatenate([node_edge, np.full(n - len(node_edge), -1)])
            for node, edge in new_vn:
                node_edge[node] = edge
        graph = replace(
            self,
            csr=_edit_csr(self.csr, drops, rows, n),
            splits=FrozenMapping(splits),
            site_node=FrozenMapping(sites),
            node_edge=node_edge,
        )
        return graph, access, np.unique(np.asarray(touched, dtype=np.int64))

    def _chain_nodes(self, edge: int, split: tuple[tuple[float, int, int], ...]) -> list[int]:
        return [int(self.edge_u[edge]), *(nd for _, nd, _ in split), int(self.edge_v[edge])]

    def _chain_rows(
        self, edge: int, split: tuple[tuple[float, int, int], ...]
    ) -> list[tuple[int, int, float]]:
        """CSR rows of the pieces of a split edge (none when unsplit)."""
        if not split:
            return []
        nodes = self._chain_nodes(edge, split)
        offs = [0.0, *(o for o, _, _ in split), float(self.length_m[edge])]
        per_m = self.seconds_per_m[edge]
        rows = []
        for k in range(len(nodes) - 1):
            w = max(float((offs[k + 1] - offs[k]) * per_m), MIN_SECONDS)
            rows += [(nodes[k], nodes[k + 1], w), (nodes[k + 1], nodes[k], w)]
        return rows

    def _unsplit_parallel(self, u: int, v: int, splits: Mapping[int, object]) -> float | None:
        """Seconds of the fastest unsplit edge between ``u`` and ``v`` (None: there is none)."""
        key = min(u, v) * self._key_base + max(u, v)
        lo = int(np.searchsorted(self._pair_key, key, side="left"))
        hi = int(np.searchsorted(self._pair_key, key, side="right"))
        cands = [int(e) for e in self._pair_order[lo:hi] if int(e) not in splits]
        if not cands:
            return None
        return max(float(np.min(self.edge_seconds[cands])), MIN_SECONDS)


def _node_edge(graph: SplitGraph) -> IndexArray:
    out = np.full(graph.n_nodes, -1, dtype=np.int64)
    out[graph.vn_node] = graph.vn_edge
    return out


def _edit_csr(
    csr: csr_array,
    drops: list[tuple[int, int]],
    adds: list[tuple[int, int, float]],
    n_total: int,
) -> csr_array:
    """Return ``csr`` without the ``drops`` entries and with ``adds`` (duplicates: fastest).

    A few array passes over the stored entries (no sort): new entries go to the end of
    their row; rows of new nodes are appended.
    """
    indptr = csr.indptr.astype(np.int64)
    indices, data = csr.indices, csr.data
    n_old = len(indptr) - 1
    gone = []
    for r, c in set(drops):
        if r < n_old:
            lo, hi = indptr[r], indptr[r + 1]
            gone += (lo + np.flatnonzero(indices[lo:hi] == c)).tolist()
    best: dict[tuple[int, int], float] = {}
    for r, c, w in adds:
        if r != c:
            best[(r, c)] = min(w, best.get((r, c), np.inf))
    counts = np.zeros(n_total, dtype=np.int64)
    counts[:n_old] = np.diff(indptr)
    gone_arr = np.asarray(sorted(gone), dtype=np.int64)
    if len(gone_arr):
        counts[:n_old] -= np.bincount(
            np.searchsorted(indptr, gone_arr, side="right") - 1, minlength=n_old
        )
        indices, data = np.delete(indices, gone_arr), np.delete(data, gone_arr)
    new = sorted(best.items())
    rows = np.asarray([r for (r, _), _ in new], dtype=np.int64)
    new_counts = np.bincount(rows, minlength=n_total) if len(rows) else np.zeros(n_total, np.int64)
    kept_ptr = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(counts, out=kept_ptr[1:])
    at = kept_ptr[rows + 1]  # the end of each new entry's row, before any insertion
    index_dtype = (
        np.int32 if n_total < 2**31 - 1 and len(indices) + len(rows) < 2**31 - 1 else np.int64
    )
    indices = np.insert(indices, at, np.asarray([c for (_, c), _ in new], dtype=index_dtype))
    data = np.insert(data, at, np.asarray([w for _, w in new], dtype=float))
    out_ptr = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(counts + new_counts, out=out_ptr[1:])
    return csr_array(
        (data, indices.astype(index_dtype, copy=False), out_ptr.astype(index_dtype)),
        shape=(n_total, n_total),
    )


def region_nodes(
    csr: csr_array, touched: IndexArray, *, limit_s: float
) -> tuple[IndexArray, FloatArray]:
    """Nodes within ``limit_s`` (plus a tiny slack) of any ``touched`` node, and how far.

    Every node whose bounded distance can change when a site on an edge is added or
    removed lies within the limit of one of that edge's nodes, or is the site itself.

    Returns
    -------
    nodes : numpy.ndarray
        Sorted node ids (``touched`` included).
    seconds : numpy.ndarray
        Walking seconds from the nearest touched node to each (0 for touched nodes).
    """
    touched = np.unique(np.asarray(touched, dtype=np.int64))
    radius = limit_s * (1.0 + _SLACK_REL) + _SLACK_S
    dist = dijkstra(csr, directed=True, indices=touched, min_only=True, limit=radius)
    dist[touched] = 0.0
    nodes = np.flatnonzero(np.isfinite(dist))
    return nodes, dist[nodes]


def affected_nodes(region: IndexArray, reach_s: FloatArray, seconds: FloatArray) -> IndexArray:
    """The nodes of ``region`` whose distance an edit can change, for one service.

    A node farther from every touched node (``reach_s``) than from its nearest facility
    (``seconds``) keeps its shortest walk, which avoids the edited edge, and no new walk
    through the edit can beat it: only the others need re-solving (with the slack of
    :func:`region_nodes` for rounding).
    """
    current = seconds[region]
    keep = reach_s <= current * (1.0 + _SLACK_REL) + _SLACK_S
    keep |= reach_s == 0.0
    out: IndexArray = region[keep]
    return out


def resolve_region(
    csr: csr_array,
    seconds: FloatArray,
    facility: IndexArray,
    *,
    region: IndexArray,
    sources: Mapping[int, int],
    limit_s: float,
) -> tuple[FloatArray, IndexArray]:
    """Re-solve the bounded nearest-facility distances inside ``region``, exactly.

    Parameters
    ----------
    csr : scipy.sparse.csr_array
        The (edited) symmetric graph.
    seconds, facility : numpy.ndarray
        Current distances and nearest facility of every node; correct outside ``region``
        (``inf`` / ``-1`` when unreached). Not modified.
    region : numpy.ndarray
        Sorted node ids to re-solve.
    sources : mapping
        Access node -> facility key of the service's facilities (those in the region are
        sources at 0; the others act through the region's boundary).
    limit_s : float
        The search limit of the full solve.

    Returns
    -------
    seconds, facility : numpy.ndarray
        New arrays (copies) with the region re-solved.
    """
    seconds, facility = seconds.copy(), facility.copy()
    n_r = len(region)
    if n_r == 0:
        return seconds, facility
    indptr = csr.indptr.astype(np.int64)
    lens = indptr[region + 1] - indptr[region]
    starts = np.repeat(indptr[region], lens)
    pos = starts + (np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens))
    rows = np.repeat(np.arange(n_r), lens)
    cols = csr.indices[pos].astype(np.int64)
    wts = csr.data[pos]
    local = np.full(len(seconds), -1, dtype=np.int64)
    local[region] = np.arange(n_r)
    inner = local[cols] >= 0
    # boundary: best D[y] + w(y, x) over neighbours y outside the region (symmetric graph)
    out_rows, out_cols = rows[~inner], cols[~inner]
    cand = seconds[out_cols] + wts[~inner]
    seed = np.full(n_r, np.inf)
    seed_fac = np.full(n_r, -1, dtype=np.int64)
    ok = np.isfinite(cand) & (seconds[out_cols] <= limit_s)
    if ok.any():
        order = np.lexsort((cand[ok], out_rows[ok]))
        r_sorted = out_rows[ok][order]
        first = np.r_[True, r_sorted[1:] != r_sorted[:-1]]
        pick = order[first]
        seed[out_rows[ok][pick]] = cand[ok][pick]
        seed_fac[out_rows[ok][pick]] = facility[out_cols[ok][pick]]
    has_seed = np.flatnonzero(np.isfinite(seed))
    sub = csr_array(
        (
            np.r_[wts[inner], seed[has_seed]],
            (np.r_[rows[inner], np.full(len(has_seed), n_r)], np.r_[local[cols[inner]], has_seed]),
        ),
        shape=(n_r + 1, n_r + 1),
    )
    all_src = np.fromiter(sources.keys(), dtype=np.int64, count=len(sources))
    all_key = np.fromiter(sources.values(), dtype=np.int64, count=len(sources))
    inside = local[all_src] >= 0
    src_nodes, src_keys = all_src[inside], all_key[inside]
    src_local = local[src_nodes]
    dist, pred, src = dijkstra(
        sub,
        directed=True,
        indices=np.r_[n_r, src_local],
        min_only=True,
        limit=limit_s,
        return_predecessors=True,
    )
    dist = dist[:n_r]
    src = np.asarray(src[:n_r], dtype=np.int64)
    fac = np.full(n_r, -1, dtype=np.int64)
    by_local = np.full(n_r + 1, -1, dtype=np.int64)
    by_local[src_local] = src_keys
    from_source = (src >= 0) & (src < n_r)
    fac[from_source] = by_local[src[from_source]]
    via_seed = np.flatnonzero(src == n_r)
    if len(via_seed):
        first_hop = _first_hops(np.asarray(pred[:n_r], dtype=np.int64), n_r)
        fac[via_seed] = seed_fac[first_hop[via_seed]]
    fac[~np.isfinite(dist)] = -1
    seconds[region] = dist
    facility[region] = fac
    return seconds, facility


def _first_hops(pred: IndexArray, root: int) -> IndexArray:
    """Each tree node's ancestor just below ``root`` (by pointer doubling)."""
    hop = np.where((pred == root) | (pred < 0), np.arange(len(pred)), pred)
    while True:
        nxt = hop[hop]
        done = (pred[hop] == root) | (pred[hop] < 0)
        step = np.where(done, hop, nxt)
        if np.array_equal(step, hop):
            return hop
        hop = step
