"""Walking-network distances between demand points and candidate sites.

Both layers are snapped onto edges. A walk between a demand point ``d`` and a candidate
``c`` is their off-street legs plus either the stretch of street between them (same
edge) or the partial edges to one end node of each edge and the network path between
those nodes::

    d ─ leg ─ ·──partial──> a ~~~ network path ~~~ b <──partial──· ─ leg ─ c

So one bounded Dijkstra per edge end that a candidate can reach within ``max_walk_m``,
on the bare network, gives every pair — the same metres as attaching every point to a
split graph, without an ``n_candidates x n_points`` table. Distances are pure metres:
network penalties (steps, crossings) are not applied to the cover radius.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph

__all__ = ["walk_costs"]

logger = logging.getLogger(__name__)

#: Largest dense block (sources x nodes) one Dijkstra call may return, in float64 cells.
_BLOCK_CELLS = 20_000_000
_METRES = WalkProfile("metres", 1.0)


def walk_costs(
    demand: gpd.GeoDataFrame | gpd.GeoSeries,
    candidates: gpd.GeoDataFrame | gpd.GeoSeries,
    network: WalkNetwork,
    *,
    max_walk_m: float,
    max_snap_m: float = 100.0,
) -> sparse.csr_array:
    """Walking distances (metres) from every demand point to every candidate within reach.

    Parameters
    ----------
    demand, candidates : GeoDataFrame or GeoSeries
        Point layers in any CRS.
    network : WalkNetwork
        The walking network.
    max_walk_m : float
        Only pairs at most this far apart are stored.
    max_snap_m : float
        Points farther than this from the network reach nothing (logged).

    Returns
    -------
    scipy.sparse.csr_array
        ``(len(demand), len(candidates))`` float matrix; stored entries are distances
        (explicit zeros included), missing entries mean farther than ``max_walk_m``.
    """
    if not (max_walk_m >= 0):
        raise ValueError(f"max_walk_m must be >= 0 metres, got {max_walk_m!r}")
    net = network.without_penalties()
    snap_c = snap_points(net, candidates, max_snap_m=max_snap_m)
    snap_d = snap_points(net, demand, max_snap_m=max_snap_m)
    for name, snapped in (("candidate", snap_c), ("demand", snap_d)):
        far = int((~snapped["snapped"].to_numpy(dtype=bool)).sum())
        if far:
            logger.info(
                "%d %s point(s) lie over %g m from the network and reach nothing",
                far,
                name,
                max_snap_m,
            )
    ends_c, ends_d = _edge_ends(net, snap_c), _edge_ends(net, snap_d)
    near_c = ends_c[ends_c["metres"].to_numpy() <= max_walk_m]
    near_d = ends_d[ends_d["metres"].to_numpy() <= max_walk_m]
    via_nodes = _node_distances(net, near_c, max_walk_m).merge(near_d, on="node")
    via_nodes["metres"] = via_nodes["metres_x"] + via_nodes["metres_y"]
    same_edge = ends_c.drop_duplicates("point").merge(  # along the shared street
        ends_d.drop_duplicates("point"), on="edge"
    )
    same_edge["metres"] = (
        same_edge["leg_m_x"] + (same_edge["offset_m_x"] - same_edge["offset_m_y"]).abs()
    ) + same_edge["leg_m_y"]
    pairs = pd.concat(
        [via_nodes[["point_y", "point_x", "metres"]], same_edge[["point_y", "point_x", "metres"]]]
    )
    pairs = pairs[pairs["metres"].to_numpy() <= max_walk_m]
    best = pairs.groupby(["point_y", "point_x"], sort=False)["metres"].min()
    shape = (len(snap_d), len(snap_c))
    coo = sparse.coo_array(
        (
            best.to_numpy(dtype=float),
            (
                best.index.get_level_values(0).to_numpy(dtype=np.int64),
                best.index.get_level_values(1).to_numpy(dtype=np.int64),
            ),
        ),
        shape=shape,
    )
    return sparse.csr_array(coo)


def _edge_ends(network: WalkNetwork, snapped: pd.DataFrame) -> pd.DataFrame:
    """Each snapped point's two ways onto the network: via its edge's ``u`` and ``v`` ends.

    Rows: ``point`` (position), ``edge``, ``offset_m``, ``leg_m``, ``node`` and ``metres``
    (leg plus the partial edge to that node), the ``u`` rows first.
    """
    ok = np.flatnonzero(snapped["snapped"].to_numpy(dtype=bool))
    edge = snapped["edge"].to_numpy()[ok].astype(np.int64)
    length = network.edges["length_m"].to_numpy(dtype=float)[edge]
    off = np.clip(snapped["offset_m"].to_numpy(dtype=float)[ok], 0.0, length)
    leg = snapped["snap_m"].to_numpy(dtype=float)[ok]
    u = network.edges["u"].to_numpy(dtype=np.int64)[edge]
    v = network.edges["v"].to_numpy(dtype=np.int64)[edge]
    ends = pd.DataFrame(
        {
            "point": np.tile(ok, 2),
            "edge": np.tile(edge, 2),
            "offset_m": np.tile(off, 2),
            "leg_m": np.tile(leg, 2),
            "node": np.concatenate([u, v]),
            "metres": np.concatenate([leg + off, leg + (length - off)]),
        }
    )
    return ends


def _node_distances(network: WalkNetwork, ends: pd.DataFrame, max_walk_m: float) -> pd.DataFrame:
    """Walks from each point through its edge ends to every network node within reach.

    Rows: ``point``, ``edge``, ``offset_m``, ``leg_m`` (of the point), ``node`` reached
    and ``metres`` (leg, partial edge and network path), at most ``max_walk_m``.
    """
    graph = build_split_graph(network, profile=_METRES)  # the bare network, cached
    sources = np.unique(ends["node"].to_numpy())
    chunk = max(1, _BLOCK_CELLS // max(graph.n_nodes, 1))
    parts = []
    for lo in range(0, len(sources), chunk):
        block = sources[lo : lo + chunk]
        dist = dijkstra(graph.csr, directed=True, indices=block, limit=max_walk_m)
        s_pos, node = np.nonzero(dist <= max_walk_m)
        parts.append(pd.DataFrame({"via": block[s_pos], "node": node, "path_m": dist[s_pos, node]}))
    paths = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({"via": [], "node": [], "path_m": []})
    )
    out = ends.rename(columns={"node": "via"}).merge(paths, on="via")
    out["metres"] = out["metres"] + out["path_m"]
    keep = out["metres"].to_numpy() <= max_walk_m
    return out.loc[keep, ["point", "edge", "offset_m", "leg_m", "node", "metres"]]
