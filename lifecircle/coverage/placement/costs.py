"""Walking-network distances between demand points and candidate sites.

Both layers are snapped onto edges and attached to the split graph of
:mod:`lifecircle.coverage.paths` (each point gets an access node hanging off its snap
position), so a walk counts both off-street legs and the partial edges, and a demand
point on the same street as a candidate is measured along that street. Distances are
pure metres: network penalties (steps, crossings) are not applied to the cover radius.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from lifecircle.coverage.network import WalkNetwork
from lifecircle.coverage.paths import build_split_graph
from lifecircle.coverage.profiles import WalkProfile
from lifecircle.coverage.snap import snap_points

__all__ = ["metric_network", "walk_costs"]

logger = logging.getLogger(__name__)

#: Largest dense block (sources x nodes) one Dijkstra call may return, in float64 cells.
_BLOCK_CELLS = 20_000_000
_METRES = WalkProfile("metres", 1.0)


def metric_network(network: WalkNetwork) -> WalkNetwork:
    """Return ``network`` with every edge penalty set to zero (distances in pure metres)."""
    if not network.edges["penalty_s"].to_numpy(dtype=float).any():
        return network
    edges = network.edges.assign(penalty_s=0.0)
    return WalkNetwork(network.nodes, edges, network.crs, network.source, dict(network.meta))


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
    net = metric_network(network)
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
    both = pd.concat([snap_c, snap_d], ignore_index=True)
    graph = build_split_graph(net, both, profile=_METRES)
    access = graph.access_node
    cand_access, dem_access = access[: len(snap_c)], access[len(snap_c) :]
    dem_ok = np.flatnonzero(dem_access >= 0)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    sources = np.flatnonzero(cand_access >= 0)
    chunk = max(1, _BLOCK_CELLS // max(graph.n_nodes, 1))
    for lo in range(0, len(sources), chunk):
        block = sources[lo : lo + chunk]
        dist = dijkstra(graph.csr, directed=True, indices=cand_access[block], limit=max_walk_m)
        sub = dist[:, dem_access[dem_ok]]
        c_pos, d_pos = np.nonzero(sub <= max_walk_m)
        rows.append(dem_ok[d_pos])
        cols.append(block[c_pos])
        vals.append(sub[c_pos, d_pos])
    shape = (len(snap_d), len(snap_c))
    if not rows:
        return sparse.csr_array(shape)
    coo = sparse.coo_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )
    return sparse.csr_array(coo)
