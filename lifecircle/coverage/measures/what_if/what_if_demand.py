"""Demand points of a what-if analysis: stored once, shared by every state, edited by chunks.

Part of :mod:`lifecircle.coverage.measures.what_if.what_if`: the points with their street positions,
the grid structure they roll up into (leaf grids and their ancestors, as
:func:`~lifecircle.geo.hierarchy.roll_up` weighs them), the points on each street, and
:class:`ChunkedArray`, the per-point arrays of a state that an edit copies only where it
changes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from lifecircle.coverage.measures.demand import leaf_grid_ids
from lifecircle.coverage.routing.incremental import SiteGraph
from lifecircle.geo.hierarchy import ancestors
from lifecircle.typing import BoolArray, FloatArray, IndexArray

__all__ = [
    "CHUNK",
    "ChunkedArray",
    "DemandPoints",
    "demand_structure",
    "empty_grid",
    "point_seconds",
    "points_near",
    "ranges",
    "rebracket",
]

#: Demand-point arrays are stored in chunks of this many points: an edit copies only the
#: chunks it changes, so a new state costs what changed, not a million-point copy.
CHUNK = 4096


@dataclass(frozen=True, eq=False)
class ChunkedArray:
    """An immutable array stored as equal chunks; :meth:`put` copies only touched chunks."""

    chunks: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, values: np.ndarray) -> ChunkedArray:
        return cls(tuple(values[k : k + CHUNK].copy() for k in range(0, len(values), CHUNK)))

    def full(self) -> Any:
        return np.concatenate(self.chunks) if self.chunks else np.empty(0)

    def take(self, rows: IndexArray) -> Any:
        """Values at ``rows`` (sorted positions)."""
        if len(rows) == 0:
            return self.chunks[0][:0]
        which = rows // CHUNK
        starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
        used = which[starts]
        slot = np.repeat(np.arange(len(used)), np.diff(np.r_[starts, len(rows)]))
        joined = np.concatenate([self.chunks[k] for k in used.tolist()])
        return joined[slot * CHUNK + rows % CHUNK]

    def put(self, rows: IndexArray, values: np.ndarray) -> ChunkedArray:
        """A copy with ``values`` at ``rows`` (sorted positions)."""
        chunks = list(self.chunks)
        which = rows // CHUNK
        bounds: list[int] = (
            np.flatnonzero(np.r_[True, which[1:] != which[:-1]]).tolist() if len(rows) else []
        )
        for lo, hi in zip(bounds, [*bounds[1:], len(rows)], strict=True):
            k = int(which[lo])
            chunk = chunks[k].copy()
            chunk[rows[lo:hi] % CHUNK] = values[lo:hi]
            chunks[k] = chunk
        return ChunkedArray(tuple(chunks))


@dataclass(frozen=True, eq=False)
class DemandPoints:
    """Demand points and grid structure shared by every state of one analysis."""

    frame: gpd.GeoDataFrame  # network CRS, with snap_m and component
    snap: pd.DataFrame
    edge: IndexArray
    offset_m: FloatArray
    leg_s: FloatArray
    snapped: BoolArray
    weight: FloatArray
    leaf: IndexArray  # leaf position of each point
    by_leaf: IndexArray  # point positions sorted by leaf (stable)
    leaf_start: IndexArray  # by_leaf[leaf_start[k]:leaf_start[k+1]] are leaf k's points
    leaf_ids: list[str]
    leaf_weight: FloatArray
    member_group: IndexArray  # roll-up members: grid position of each (leaf, ancestor) pair
    member_leaf: IndexArray
    leaf_groups: tuple[IndexArray, ...]  # grid positions of each leaf and its ancestors
    grid_ids: list[str]
    unit_used: FloatArray  # roll_up's scale-free weight of each member (0 without weight)
    group_total: FloatArray  # per grid: roll_up's sum of unit_used over its members
    by_edge: IndexArray  # point positions sorted by edge; edge_start as leaf_start
    edge_start: IndexArray
    inc_edge: IndexArray  # network edges at each base node: inc_edge[inc_start[n]:...]
    inc_start: IndexArray


def ranges(starts: IndexArray, lens: IndexArray) -> IndexArray:
    """Concatenated ``arange(start, start + len)`` for each pair."""
    out: IndexArray = np.repeat(starts, lens) + (
        np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    )
    return out


def points_near(
    graph: SiteGraph, dem: DemandPoints, nodes: IndexArray, moved_edges: set[int]
) -> IndexArray:
    """Sorted positions of the snapped demand points on an edge touching ``nodes`` or on a
    re-split edge: a superset of the points whose bracketing nodes changed distance."""
    base = nodes[nodes < len(dem.inc_start) - 1]
    lens = dem.inc_start[base + 1] - dem.inc_start[base]
    hit = np.zeros(len(dem.edge_start) - 1, dtype=bool)
    hit[dem.inc_edge[ranges(dem.inc_start[base], lens)]] = True
    split_edges = graph.node_edge[nodes]
    hit[split_edges[split_edges >= 0]] = True
    hit[list(moved_edges)] = True
    edges = np.flatnonzero(hit)
    lens = dem.edge_start[edges + 1] - dem.edge_start[edges]
    rows = np.sort(dem.by_edge[ranges(dem.edge_start[edges], lens)])
    out: IndexArray = rows[dem.snapped[rows]]
    return out


def demand_structure(
    grids: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    d_snap: pd.DataFrame,
    entry: Any,
    *,
    speed_m_s: float,
    graph: SiteGraph,
) -> DemandPoints:
    out = grids.assign(id=grids["id"].astype(str))
    out["parent_id"] = [None if pd.isna(p) else str(p) for p in out["parent_id"]]
    leaf_ids = leaf_grid_ids(out)
    leaf_pos = {g: k for k, g in enumerate(leaf_ids)}
    weight = demand["weight"].to_numpy(dtype=float)
    by = demand["grid_id"].to_numpy()
    leaf = pd.Series(by).astype(str).map(leaf_pos).to_numpy(dtype=np.int64)
    leaf_weight = (
        pd.Series(weight).groupby(by).sum().reindex(leaf_ids).fillna(0.0).to_numpy(dtype=float)
    )
    scale = leaf_weight.max() if len(leaf_weight) and leaf_weight.max() > 0 else 1.0
    grid_ids = out["id"].tolist()
    grid_pos = {g: k for k, g in enumerate(grid_ids)}
    chains = ancestors(out)
    member = [(grid_pos[g], pos) for pos, lid in enumerate(leaf_ids) for g in (lid, *chains[lid])]
    member_group = np.asarray([g for g, _ in member], dtype=np.int64)
    member_leaf = np.asarray([p for _, p in member], dtype=np.int64)
    unit = leaf_weight / scale
    unit_used = np.where(leaf_weight[member_leaf] > 0, unit[member_leaf], 0.0)
    group_total = np.full(len(grid_ids), np.nan)
    totals = pd.Series(unit_used).groupby(member_group).sum()
    group_total[totals.index.to_numpy()] = totals.to_numpy()
    by_leaf = np.argsort(leaf, kind="stable")
    leaf_start = np.searchsorted(leaf[by_leaf], np.arange(len(leaf_ids) + 1))
    edge = np.asarray(entry.edge, dtype=np.int64)
    n_edges = len(graph.edge_u)
    by_edge = np.argsort(edge, kind="stable")
    edge_start = np.searchsorted(edge[by_edge], np.arange(n_edges + 1))
    ends = np.concatenate([graph.edge_u, graph.edge_v])
    inc_edge = np.tile(np.arange(n_edges, dtype=np.int64), 2)[np.argsort(ends, kind="stable")]
    inc_start = np.searchsorted(np.sort(ends), np.arange(graph.node_edge.shape[0] + 1))
    n_base = int(ends.max()) + 1 if len(ends) else 0
    inc_start = inc_start[: n_base + 1]
    frame = demand.assign(snap_m=d_snap["snap_m"], component=d_snap["component"])
    return DemandPoints(
        frame=frame,
        snap=d_snap,
        edge=edge,
        offset_m=entry.offset_m,
        leg_s=d_snap["snap_m"].to_numpy(dtype=float) / speed_m_s,
        snapped=entry.snapped,
        weight=weight,
        leaf=leaf,
        by_leaf=by_leaf,
        leaf_start=leaf_start,
        leaf_ids=leaf_ids,
        leaf_weight=leaf_weight,
        member_group=member_group,
        member_leaf=member_leaf,
        leaf_groups=tuple(
            np.asarray([grid_pos[g] for g in (lid, *chains[lid])], dtype=np.int64)
            for lid in leaf_ids
        ),
        grid_ids=grid_ids,
        unit_used=unit_used,
        group_total=group_total,
        by_edge=by_edge,
        edge_start=edge_start,
        inc_edge=inc_edge,
        inc_start=inc_start,
    )


def empty_grid(dem: DemandPoints) -> tuple[FloatArray, FloatArray]:
    return np.zeros(len(dem.leaf_ids)), np.full(len(dem.grid_ids), np.nan)


def point_seconds(
    node_seconds: FloatArray,
    node_facility: IndexArray,
    entry: tuple[Any, ...],
    dem: DemandPoints,
    limit_s: float,
    *,
    rows: IndexArray | None = None,
) -> tuple[FloatArray, IndexArray]:
    """Seconds and facility of demand points (``rows``, default all) as ``seconds_to_points``."""
    a, b, to_a, to_b = entry
    leg = dem.leg_s if rows is None else dem.leg_s[rows]
    snapped = dem.snapped if rows is None else dem.snapped[rows]
    via_a = node_seconds[a] + to_a
    via_b = node_seconds[b] + to_b
    use_b = via_b < via_a
    best = np.where(use_b, via_b, via_a)
    fac = np.where(use_b, node_facility[b], node_facility[a])
    seconds = np.where(snapped, best + leg, np.inf)
    seconds[seconds > limit_s] = np.inf
    return seconds, np.where(np.isfinite(seconds), fac, -1)


def rebracket(
    graph: SiteGraph,
    entry: tuple[ChunkedArray, ChunkedArray, ChunkedArray, ChunkedArray],
    dem: DemandPoints,
    edges: set[int],
) -> tuple[ChunkedArray, ChunkedArray, ChunkedArray, ChunkedArray]:
    """Bracket again the demand points on re-split ``edges`` (as ``enter_graph`` does)."""
    parts: list[tuple[IndexArray, IndexArray, IndexArray, FloatArray, FloatArray]] = []
    for e in sorted(edges):
        rows = np.sort(dem.by_edge[dem.edge_start[e] : dem.edge_start[e + 1]])
        if len(rows) == 0:
            continue
        split = graph.splits.get(e, ())
        offs = np.asarray([0.0, *(o for o, _, _ in split), graph.length_m[e]])
        nodes = np.asarray(
            [graph.edge_u[e], *(nd for _, nd, _ in split), graph.edge_v[e]], dtype=np.int64
        )
        off = dem.offset_m[rows]
        inner = offs[1:-1]
        prev = np.searchsorted(inner, off, side="right")  # 0: the edge's u end
        nxt = np.searchsorted(inner, off, side="left") + 1  # len(offs) - 1: its v end
        per_m = graph.seconds_per_m[e]
        parts.append(
            (rows, nodes[prev], nodes[nxt], (off - offs[prev]) * per_m, (offs[nxt] - off) * per_m)
        )
    if not parts:
        return entry
    rows = np.concatenate([p[0] for p in parts])
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    new = tuple(
        old.put(rows, np.concatenate([p[k] for p in parts])[order])
        for k, old in enumerate(entry, start=1)
    )
    return (new[0], new[1], new[2], new[3])
