"""The walking network compiled for shortest paths, split where facilities sit on streets.

The walking network is compiled once into a compressed sparse row (CSR) matrix of seconds
and solved with :func:`scipy.sparse.csgraph.dijkstra` (multi-source, ``min_only=True``,
with a cutoff). Facilities rarely sit on a street corner, so the edges that carry a
facility are **split** at the facility's snap offset (a *virtual node*), and every facility
gets its own *access node* joined to that split point by its straight off-network leg::

        access node (facility)
              |  leg (snap_m / speed)
    u ------- s ---------------- v        edge u-v split at s
      t_s·c        (L - t_s)·c            c = edge seconds per metre

Times therefore include the leg and the partial edge, and ``source`` of every node tells
which facility is nearest. A demand point on edge ``(u, v)`` at offset ``t`` reaches its
nearest facility in ``min(D[a] + (t - t_a)·c, D[b] + (t_b - t)·c) + leg`` where ``a`` and
``b`` are the split-graph nodes bracketing ``t`` on that edge (``u`` and ``v`` when the edge
carries no facility), which handles a facility on the same edge exactly.

Edge time is ``length_m / speed + penalties`` (see :mod:`lifecircle.coverage.routing.profiles`);
on a split edge the penalty is shared in proportion to length so the parts add up to the
whole. Zero-length legs/edges are given :data:`MIN_SECONDS` so that scipy never has to
interpret an explicit zero; parallel edges keep the faster one.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_array

from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.typing import BoolArray, FloatArray, IndexArray

__all__ = ["MIN_SECONDS", "PointEntry", "SplitGraph", "build_split_graph", "enter_graph"]

logger = logging.getLogger(__name__)

#: Smallest edge weight in seconds (stands in for exact zeros; 1 ns ≈ 1e-9 m of walking).
MIN_SECONDS = 1e-9
_TOL_M = 1e-9

#: Street segments: u, v, original edge, start and end offsets (m), seconds, active.
_Segments: TypeAlias = tuple[
    IndexArray, IndexArray, IndexArray, FloatArray, FloatArray, FloatArray, BoolArray
]
#: CSR entries: rows, columns, seconds and the segment (or edge) id of each.
_Entries: TypeAlias = tuple[IndexArray, IndexArray, FloatArray, IndexArray]


@dataclass(frozen=True, eq=False)
class SplitGraph:
    """The walking network compiled to CSR, with edges split at facility snap points.

    Node numbering: ``0..n_base-1`` are the network's nodes, then one virtual node per
    distinct interior snap point, then one access node per snapped facility.

    Attributes
    ----------
    csr : scipy.sparse.csr_array
        Symmetric matrix of walking seconds (``directed=True`` is safe to use).
    entry_segment : numpy.ndarray
        For each stored CSR entry, the index of the segment it came from.
    seg_u, seg_v, seg_edge : numpy.ndarray
        Segment end nodes and original edge index (``-1`` for an access leg).
    seg_start_m, seg_end_m : numpy.ndarray
        Offsets of the segment's ``u`` and ``v`` ends along the original edge (``length_m``
        scale; for legs 0 and the leg length).
    seg_seconds : numpy.ndarray
        Walking seconds of each segment.
    seg_active : numpy.ndarray
        False for original edges replaced by their pieces (segments ``0..m-1`` are the
        original edges, in order).
    edge_seconds_per_m : numpy.ndarray
        Per original edge: seconds per metre (penalties spread over the length).
    vn_edge, vn_offset_m, vn_node : numpy.ndarray
        Virtual split nodes sorted by (edge, offset).
    access_node : numpy.ndarray
        Access node of each facility row (``-1`` when the facility was not snapped).
    node_facility : numpy.ndarray
        Facility row of each node (``-1`` for non-access nodes).
    node_xy : numpy.ndarray
        ``(n_total, 2)`` coordinates in the network CRS.
    """

    network: WalkNetwork
    profile: WalkProfile
    csr: csr_array
    entry_segment: IndexArray
    seg_u: IndexArray
    seg_v: IndexArray
    seg_edge: IndexArray
    seg_start_m: FloatArray
    seg_end_m: FloatArray
    seg_seconds: FloatArray
    seg_active: BoolArray
    edge_seconds_per_m: FloatArray
    vn_edge: IndexArray
    vn_offset_m: FloatArray
    vn_node: IndexArray
    access_node: IndexArray
    node_facility: IndexArray
    node_xy: FloatArray
    facility_index: pd.Index = field(default_factory=lambda: pd.RangeIndex(0))

    @property
    def n_base(self) -> int:
        """Number of nodes of the original network."""
        return self.network.n_nodes

    @property
    def n_nodes(self) -> int:
        """Number of nodes of the split graph."""
        return int(self.csr.shape[0])

    def segment_between(self, a: IndexArray | int, b: IndexArray | int) -> IndexArray:
        """Return the segment index of the (fastest) link between nodes ``a`` and ``b``."""
        a = np.atleast_1d(np.asarray(a, dtype=np.int64))
        b = np.atleast_1d(np.asarray(b, dtype=np.int64))
        indptr, indices = self.csr.indptr, self.csr.indices
        out = np.full(len(a), -1, dtype=np.int64)
        for k, (i, j) in enumerate(zip(a, b, strict=True)):
            lo, hi = indptr[i], indptr[i + 1]
            pos = lo + np.searchsorted(indices[lo:hi], j)
            if pos < hi and indices[pos] == j:
                out[k] = self.entry_segment[pos]
        return out


def build_split_graph(
    network: WalkNetwork,
    facilities: pd.DataFrame | None = None,
    *,
    profile: WalkProfile,
) -> SplitGraph:
    """Compile ``network`` to CSR, splitting the edges that carry facilities.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    facilities : pandas.DataFrame, optional
        The output of :func:`lifecircle.coverage.routing.snap.snap_points` for the facilities; rows
        with ``snapped == False`` get no access node. ``None`` compiles the bare network.
    profile : WalkProfile
        Speed and penalties that turn metres into seconds.

    Returns
    -------
    SplitGraph
    """
    n = network.n_nodes
    u = network.edges["u"].to_numpy(dtype=np.int64)
    v = network.edges["v"].to_numpy(dtype=np.int64)
    length = network.edges["length_m"].to_numpy(dtype=float)
    base = _base_entries(network, profile)
    per_m = base.seconds / np.maximum(length, _TOL_M)
    if facilities is None:
        facilities = pd.DataFrame(
            {"edge": [], "offset_m": [], "snap_m": [], "snapped": [], "x": [], "y": []}
        )
    fac_ok = facilities["snapped"].to_numpy(dtype=bool)
    f_edge = facilities["edge"].to_numpy()[fac_ok].astype(np.int64)
    f_off = np.clip(facilities["offset_m"].to_numpy(dtype=float)[fac_ok], 0.0, length[f_edge])
    f_leg = facilities["snap_m"].to_numpy(dtype=float)[fac_ok]

    # split points: endpoints snap to u/v, interior offsets become (shared) virtual nodes
    at_u = f_off <= _TOL_M
    at_v = ~at_u & (f_off >= length[f_edge] - _TOL_M)
    interior = ~at_u & ~at_v
    pairs = pd.DataFrame({"edge": f_edge[interior], "off": f_off[interior]})
    pairs = pairs.drop_duplicates().sort_values(["edge", "off"], kind="stable")
    vn_edge = pairs["edge"].to_numpy(dtype=np.int64)
    vn_off = pairs["off"].to_numpy(dtype=float)
    n_virtual = len(vn_edge)
    vn_node = n + np.arange(n_virtual, dtype=np.int64)
    split_node = np.where(at_u, u[f_edge], v[f_edge])
    if interior.any():
        pos = _bracket(vn_edge, vn_off, f_edge[interior], f_off[interior], side="right") - 1
        split_node[interior] = vn_node[pos]

    segs = _segments(u, v, length, per_m, vn_edge, vn_off, vn_node)
    n_fac = len(f_edge)
    access = n + n_virtual + np.arange(n_fac, dtype=np.int64)
    leg_s = f_leg / profile.speed_m_s
    seg_u = np.concatenate([segs[0], access])
    seg_v = np.concatenate([segs[1], split_node])
    seg_edge = np.concatenate([segs[2], np.full(n_fac, -1, dtype=np.int64)])
    seg_start = np.concatenate([segs[3], np.zeros(n_fac)])
    seg_end = np.concatenate([segs[4], f_leg])
    seg_s = np.maximum(np.concatenate([segs[5], leg_s]), MIN_SECONDS)
    seg_active = np.concatenate([segs[6], np.ones(n_fac, dtype=bool)])
    n_total = n + n_virtual + n_fac
    fresh = np.arange(len(u), len(seg_u), dtype=np.int64)
    csr, entry_segment = _compile_csr(
        base,
        np.unique(vn_edge),
        (seg_u[fresh], seg_v[fresh], seg_s[fresh], fresh),
        n_total,
    )

    access_node = np.full(len(facilities), -1, dtype=np.int64)
    access_node[np.flatnonzero(fac_ok)] = access
    node_facility = np.full(n_total, -1, dtype=np.int64)
    node_facility[access] = np.flatnonzero(fac_ok)
    geoms = network.edges.geometry.to_numpy()
    frac = vn_off / np.maximum(length[vn_edge], _TOL_M)
    vxy = shapely.get_coordinates(
        shapely.line_interpolate_point(geoms[vn_edge], frac, normalized=True)
    )
    fxy = _facility_xy(facilities, fac_ok, network)
    node_xy = np.vstack([network.node_xy, vxy.reshape(-1, 2), fxy.reshape(-1, 2)])
    logger.debug(
        "split graph: %d nodes (%d virtual, %d access), %d entries",
        n_total,
        n_virtual,
        n_fac,
        csr.nnz,
    )
    return SplitGraph(
        network=network,
        profile=profile,
        csr=csr,
        entry_segment=entry_segment,
        seg_u=seg_u,
        seg_v=seg_v,
        seg_edge=seg_edge,
        seg_start_m=seg_start,
        seg_end_m=seg_end,
        seg_seconds=seg_s,
        seg_active=seg_active,
        edge_seconds_per_m=per_m,
        vn_edge=vn_edge,
        vn_offset_m=vn_off,
        vn_node=vn_node,
        access_node=access_node,
        node_facility=node_facility,
        node_xy=node_xy,
        facility_index=facilities.index,
    )


def _facility_xy(facilities: pd.DataFrame, ok: BoolArray, network: WalkNetwork) -> FloatArray:
    """Return the original (off-street) facility positions, else their snapped positions."""
    for cols in (("orig_x", "orig_y"), ("x", "y")):
        if all(c in facilities.columns for c in cols):
            xy: FloatArray = facilities.loc[ok, list(cols)].to_numpy(dtype=float)
            return xy
    return np.zeros((int(ok.sum()), 2))


def _segments(
    u: IndexArray,
    v: IndexArray,
    length: FloatArray,
    per_m: FloatArray,
    vn_edge: IndexArray,
    vn_off: FloatArray,
    vn_node: IndexArray,
) -> _Segments:
    """Return (u, v, edge, start_m, end_m, seconds, active) of every street segment.

    Segment ``e < m`` is original edge ``e`` (inactive when split); the pieces of split
    edges follow, in (edge, offset) order.
    """
    active = np.ones(len(u), dtype=bool)
    active[vn_edge] = False
    if len(vn_edge):
        first = np.r_[True, vn_edge[1:] != vn_edge[:-1]]
        last = np.r_[vn_edge[1:] != vn_edge[:-1], True]
        prev_node = np.where(first, u[vn_edge], np.r_[-1, vn_node[:-1]])
        prev_off = np.where(first, 0.0, np.r_[0.0, vn_off[:-1]])
        tail_edge = vn_edge[last]
        c_u = np.concatenate([prev_node, vn_node[last]])
        c_v = np.concatenate([vn_node, v[tail_edge]])
        c_e = np.concatenate([vn_edge, tail_edge])
        c_s = np.concatenate([prev_off, vn_off[last]])
        c_t = np.concatenate([vn_off, length[tail_edge]])
    else:
        c_u = c_v = c_e = np.empty(0, dtype=np.int64)
        c_s = c_t = np.empty(0)
    seg_u = np.concatenate([u, c_u])
    seg_v = np.concatenate([v, c_v])
    seg_e = np.concatenate([np.arange(len(u), dtype=np.int64), c_e])
    seg_s = np.concatenate([np.zeros(len(u)), c_s])
    seg_t = np.concatenate([length, c_t])
    active = np.concatenate([active, np.ones(len(c_u), dtype=bool)])
    return seg_u, seg_v, seg_e, seg_s, seg_t, (seg_t - seg_s) * per_m[seg_e], active


#: (speed, sorted penalties) of a profile: the key of its compiled network.
_ProfileKey: TypeAlias = tuple[float, tuple[tuple[str, float], ...]]
_BASE: weakref.WeakKeyDictionary[WalkNetwork, dict[_ProfileKey, _BaseCSR]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class _BaseCSR:
    """The unsplit network compiled to CSR (cached per network and profile)."""

    seconds: FloatArray  # per edge, without the MIN_SECONDS floor
    indptr: IndexArray
    cols: IndexArray
    data: FloatArray
    ids: IndexArray  # edge id of every stored entry


def _sorted_entries(
    seg_u: IndexArray, seg_v: IndexArray, seg_s: FloatArray, seg_id: IndexArray
) -> _Entries:
    """Both directions of each segment, sorted by (row, col), fastest of parallels kept.

    Ties between parallels keep the first segment given. One stable sort of an int64
    ``row * n + col`` key (linear on the runs that network edge lists are made of);
    parallels are resolved with a segmented minimum instead of a third sort key.
    """
    loop = seg_u == seg_v
    if loop.any():
        seg_u, seg_v, seg_s, seg_id = seg_u[~loop], seg_v[~loop], seg_s[~loop], seg_id[~loop]
    rows = np.concatenate([seg_u, seg_v])
    cols = np.concatenate([seg_v, seg_u])
    n_cols = int(cols.max()) + 1 if len(cols) else 1
    key = rows * n_cols + cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    start = np.empty(len(key), dtype=bool)
    start[:1] = True
    np.not_equal(key[1:], key[:-1], out=start[1:])
    if not start.all():  # parallel edges: keep the first fastest of each (row, col)
        data = np.concatenate([seg_s, seg_s])[order]
        group = np.cumsum(start) - 1
        fastest = np.minimum.reduceat(data, np.flatnonzero(start))
        cand = np.flatnonzero(data == fastest[group])
        first = np.r_[True, group[cand[1:]] != group[cand[:-1]]]
        order = order[cand[first]]
    half = len(seg_u)
    from_v = order >= half
    pick = order - half * from_v
    return (
        np.where(from_v, seg_v[pick], seg_u[pick]),
        np.where(from_v, seg_u[pick], seg_v[pick]),
        seg_s[pick],
        seg_id[pick],
    )


def _base_entries(network: WalkNetwork, profile: WalkProfile) -> _BaseCSR:
    """The unsplit network as CSR arrays, compiled once per (network, profile).

    Cached while the network object lives.
    """
    key: _ProfileKey = (profile.speed_m_s, tuple(sorted(profile.penalties.items())))
    cache = _BASE.setdefault(network, {})
    if key not in cache:
        u = network.edges["u"].to_numpy(dtype=np.int64)
        v = network.edges["v"].to_numpy(dtype=np.int64)
        ids = np.arange(len(u), dtype=np.int64)
        seconds = profile.edge_seconds(network.edges)
        if len(cache) >= 2:  # bounded memory: a couple of profiles per network
            cache.clear()
        rows, cols, data, ids = _sorted_entries(u, v, np.maximum(seconds, MIN_SECONDS), ids)
        n = network.n_nodes
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        cache[key] = _BaseCSR(seconds, indptr, cols, data, ids)
    return cache[key]


def _compile_csr(
    base: _BaseCSR,
    drop_edges: IndexArray,
    new: _Entries,
    n_total: int,
) -> tuple[csr_array, IndexArray]:
    """Merge the cached base entries (minus split edges) with the new ones into a CSR.

    New segments only touch new nodes (ids above every base node), so the new entries of
    a base row go after its base entries, and new rows after every base row: one
    vectorised scatter, O(nnz).
    """
    n_base = len(base.indptr) - 1
    counts = np.zeros(n_total, dtype=np.int64)
    counts[:n_base] = np.diff(base.indptr)
    cols, data, ids = base.cols, base.data, base.ids
    if len(drop_edges) and len(ids):
        dropped = np.zeros(max(int(ids.max()), int(drop_edges.max())) + 1, dtype=bool)
        dropped[drop_edges] = True
        gone = dropped[ids]
        gone_at = np.flatnonzero(gone)
        if len(gone_at):
            gone_rows = np.searchsorted(base.indptr, gone_at, side="right") - 1
            counts -= np.bincount(gone_rows, minlength=n_total)
            keep = ~gone
            cols, data, ids = cols[keep], data[keep], ids[keep]
    n_rows, n_cols, n_data, n_ids = _sorted_entries(*new)
    new_counts = np.bincount(n_rows, minlength=n_total)
    indptr = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(counts + new_counts, out=indptr[1:])
    # new entries sit at the end of their row: after the row's kept base entries
    first_new = indptr[1:] - new_counts  # position of each row's first new entry
    rank = np.arange(len(n_rows)) - np.searchsorted(n_rows, n_rows, side="left")
    new_pos = first_new[n_rows] + rank
    total = len(cols) + len(n_rows)
    is_new = np.zeros(total, dtype=bool)
    is_new[new_pos] = True
    index_dtype = np.int32 if max(n_total, total) < 2**31 - 1 else np.int64
    out_cols = np.empty(total, dtype=index_dtype)
    out_data = np.empty(total, dtype=float)
    out_ids = np.empty(total, dtype=np.int64)
    is_old = ~is_new
    merged = ((out_cols, cols, n_cols), (out_data, data, n_data), (out_ids, ids, n_ids))
    for out, old, add in merged:
        out[is_old] = old
        out[new_pos] = add
    csr = csr_array((out_data, out_cols, indptr.astype(index_dtype)), shape=(n_total, n_total))
    return csr, out_ids


def _bracket(
    vn_edge: IndexArray,
    vn_off: FloatArray,
    q_edge: IndexArray,
    q_off: FloatArray,
    *,
    side: Literal["left", "right"],
) -> IndexArray:
    """Return, for each query, how many virtual nodes sort before it by (edge, offset).

    ``side="right"`` counts virtual nodes with ``(edge, off) <= query``; ``"left"`` with ``<``.
    """
    n_vn = len(vn_edge)
    kind = np.r_[np.zeros(n_vn, dtype=np.int8), np.ones(len(q_edge), dtype=np.int8)]
    if side == "left":
        kind = 1 - kind
    edges = np.concatenate([vn_edge, q_edge])
    offs = np.concatenate([vn_off, q_off])
    order = np.lexsort((kind, offs, edges))
    is_vn = order < n_vn
    before: IndexArray = np.cumsum(is_vn) - is_vn
    out = np.empty(len(q_edge), dtype=np.int64)
    q_pos = ~is_vn
    out[order[q_pos] - n_vn] = before[q_pos]
    return out


@dataclass(frozen=True)
class PointEntry:
    """Where snapped points enter a :class:`SplitGraph`: the two nodes bracketing each point.

    A point at offset ``offset_m`` along original edge ``edge`` lies between split-graph
    nodes ``a`` and ``b`` (the edge's ends, or virtual nodes where a facility splits the
    edge); walking from the point to ``a`` takes ``to_a_s`` seconds, to ``b`` ``to_b_s``.

    Attributes
    ----------
    edge, offset_m : numpy.ndarray
        Original edge and offset clipped to the edge (edge 0 for unsnapped points).
    a, b : numpy.ndarray
        Bracketing nodes (towards the edge's ``u`` and ``v`` end).
    a_offset_m, b_offset_m : numpy.ndarray
        Offsets of ``a`` and ``b`` along the edge.
    to_a_s, to_b_s : numpy.ndarray
        Walking seconds from the point to ``a`` and to ``b``.
    snapped : numpy.ndarray
        False for points that were not snapped (their other fields are meaningless).
    """

    edge: IndexArray
    offset_m: FloatArray
    a: IndexArray
    b: IndexArray
    a_offset_m: FloatArray
    b_offset_m: FloatArray
    to_a_s: FloatArray
    to_b_s: FloatArray
    snapped: BoolArray

    def via_b(self, node_seconds: FloatArray) -> BoolArray:
        """Whether leaving (or entering) through ``b`` is faster, given seconds at nodes."""
        return np.asarray(
            node_seconds[self.b] + self.to_b_s < node_seconds[self.a] + self.to_a_s, dtype=bool
        )


def enter_graph(graph: SplitGraph, points: pd.DataFrame) -> PointEntry:
    """Bracket each snapped point between the split-graph nodes on either side of it.

    Parameters
    ----------
    graph : SplitGraph
    points : pandas.DataFrame
        Output of :func:`~lifecircle.coverage.routing.snap.snap_points`.

    Returns
    -------
    PointEntry
    """
    ok = points["snapped"].to_numpy(dtype=bool)
    edge = np.where(ok, points["edge"].to_numpy(), 0).astype(np.int64)
    edges = graph.network.edges
    length = edges["length_m"].to_numpy(dtype=float)[edge]
    off = np.clip(points["offset_m"].to_numpy(dtype=float), 0.0, length)
    a = edges["u"].to_numpy(dtype=np.int64)[edge]
    b = edges["v"].to_numpy(dtype=np.int64)[edge]
    a_off, b_off = np.zeros(len(edge)), length.copy()
    n_vn = len(graph.vn_edge)
    if n_vn:  # only points on split edges can have a virtual node beside them
        split = np.zeros(len(edges), dtype=bool)
        split[graph.vn_edge] = True
        on = np.flatnonzero(split[edge])
        e_on, off_on = edge[on], off[on]
        pos = _bracket(graph.vn_edge, graph.vn_offset_m, e_on, off_on, side="right")
        has_prev = (pos > 0) & (graph.vn_edge[np.maximum(pos - 1, 0)] == e_on)
        prev = np.maximum(pos - 1, 0)[has_prev]
        a[on[has_prev]], a_off[on[has_prev]] = graph.vn_node[prev], graph.vn_offset_m[prev]
        nxt_pos = _bracket(graph.vn_edge, graph.vn_offset_m, e_on, off_on, side="left")
        has_next = (nxt_pos < n_vn) & (graph.vn_edge[np.minimum(nxt_pos, n_vn - 1)] == e_on)
        nxt = nxt_pos[has_next]
        b[on[has_next]], b_off[on[has_next]] = graph.vn_node[nxt], graph.vn_offset_m[nxt]
    per_m = graph.edge_seconds_per_m[edge]
    return PointEntry(
        edge, off, a, b, a_off, b_off, (off - a_off) * per_m, (b_off - off) * per_m, ok
    )
