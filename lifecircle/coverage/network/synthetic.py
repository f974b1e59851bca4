"""Reproducible synthetic walking networks for tests, benchmarks and demos.

:func:`synthetic_city` draws a city-like street pattern — a jittered street grid with
missing links, some diagonals and dead-end or through *lanes* (弄堂) inside blocks — with
vectorised NumPy, so a million nodes take seconds. It is fictional: never present it as
real streets.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import ArrayLike

from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.typing import CRSLike

__all__ = ["network_from_arrays", "synthetic_city"]

#: UTM zone 51N — Shanghai's metric CRS; the synthetic city sits near Jing'an Temple.
_CRS = "EPSG:32651"
_ORIGIN = (350_000.0, 3_455_000.0)
_HIGHWAYS = np.array(["residential", "footway", "service", "primary", "steps", "living_street"])
_HIGHWAY_P = np.array([0.45, 0.25, 0.1, 0.12, 0.02, 0.06])


def network_from_arrays(
    node_xy: ArrayLike,
    edges: ArrayLike,
    *,
    crs: CRSLike = _CRS,
    penalty_s: ArrayLike | None = None,
    highway: ArrayLike | None = None,
    source: str = "<arrays>",
) -> WalkNetwork:
    """Build a straight-edged :class:`WalkNetwork` from coordinates and node pairs.

    Parameters
    ----------
    node_xy : array-like, shape (n, 2)
        Node coordinates in the metric ``crs``.
    edges : array-like, shape (m, 2)
        Positional node pairs ``(u, v)``; each becomes a straight LineString u -> v whose
        ``length_m`` is its Euclidean length.
    crs : pyproj.CRS, str or int, default UTM 51N
    penalty_s, highway : array-like, optional
        Per-edge extra seconds (default 0) and highway tags (default ``"footway"``).
    source : str
        Description stored on the network.

    Examples
    --------
    >>> net = network_from_arrays([(0, 0), (100, 0)], [(0, 1)])
    >>> float(net.edges.length_m.iloc[0])
    100.0
    """
    xy = np.asarray(node_xy, dtype=float).reshape(-1, 2)
    uv = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    coords = np.stack([xy[uv[:, 0]], xy[uv[:, 1]]], axis=1)
    lines = shapely.linestrings(coords)
    m = len(uv)
    edge_frame = gpd.GeoDataFrame(
        {
            "u": uv[:, 0],
            "v": uv[:, 1],
            "length_m": np.hypot(*(coords[:, 1] - coords[:, 0]).T),
            "penalty_s": np.zeros(m) if penalty_s is None else np.asarray(penalty_s, float),
            "highway": np.full(m, "footway", dtype=object)
            if highway is None
            else np.asarray(highway, dtype=object),
            "name": pd.Series([None] * m, dtype=object),
        },
        geometry=gpd.GeoSeries(lines, crs=crs),
    )
    nodes = gpd.GeoDataFrame(geometry=gpd.GeoSeries(shapely.points(xy), crs=crs))
    return WalkNetwork(nodes=nodes, edges=edge_frame, crs=pyproj.CRS(crs), source=source)


def synthetic_city(
    n_nodes: int,
    *,
    seed: int,
    block_m: float = 90.0,
    missing_share: float = 0.08,
    diagonal_share: float = 0.03,
    lane_share: float = 0.1,
) -> WalkNetwork:
    """Generate a reproducible, city-like walking network with exactly ``n_nodes`` nodes.

    Parameters
    ----------
    n_nodes : int
        Number of nodes (>= 4).
    seed : int
        Seed of the random generator (same seed -> identical network).
    block_m : float, default 90
        Street-grid spacing (Jing'an's blocks are roughly 80-150 m).
    missing_share : float, default 0.08
        Share of grid links removed (dead ends, superblocks).
    diagonal_share : float, default 0.03
        Share of blocks crossed by a diagonal street.
    lane_share : float, default 0.1
        Share of nodes that are lane ends inside blocks (half are through-lanes).

    Returns
    -------
    WalkNetwork
        In UTM 51N, with ``highway`` tags (a few ``steps``) and signalised-crossing
        penalties (``penalty_s`` of 20 s) on some ``primary`` edges. Missing links can
        leave a few nodes disconnected, as in real data.
    """
    if n_nodes < 4:
        raise ValueError(f"n_nodes must be >= 4, got {n_nodes}")
    rng = np.random.default_rng(seed)
    n_lane = int(n_nodes * lane_share)
    n_grid = n_nodes - n_lane
    cols = int(np.ceil(np.sqrt(n_grid)))
    idx = np.arange(n_grid)
    r, c = idx // cols, idx % cols
    jitter = rng.uniform(-0.12, 0.12, size=(n_grid, 2)) * block_m
    grid_xy = np.column_stack([c * block_m, r * block_m]) + jitter + _ORIGIN

    horiz = idx[(c < cols - 1) & (idx + 1 < n_grid)]
    vert = idx[idx + cols < n_grid]
    uv = np.concatenate([np.column_stack([horiz, horiz + 1]), np.column_stack([vert, vert + cols])])
    uv = uv[rng.random(len(uv)) >= missing_share]
    cell = idx[(c < cols - 1) & (idx + cols + 1 < n_grid)]
    diag = cell[rng.random(len(cell)) < diagonal_share]
    uv = np.concatenate([uv, np.column_stack([diag, diag + cols + 1])])

    # lanes: a node inside a random block, tied to its corner (and sometimes the far corner)
    lane_cell = cell[rng.integers(0, len(cell), size=n_lane)] if n_lane and len(cell) else idx[:0]
    n_lane = len(lane_cell)
    lane_xy = grid_xy[lane_cell] + rng.uniform(0.25, 0.75, size=(n_lane, 2)) * block_m
    lane_id = n_grid + np.arange(n_lane)
    through = rng.random(n_lane) < 0.5
    uv = np.concatenate(
        [
            uv,
            np.column_stack([lane_cell, lane_id]),
            np.column_stack([lane_id[through], lane_cell[through] + cols + 1]),
        ]
    )
    xy = np.vstack([grid_xy, lane_xy])
    highway = rng.choice(_HIGHWAYS, size=len(uv), p=_HIGHWAY_P)
    penalty = np.where((highway == "primary") & (rng.random(len(uv)) < 0.3), 20.0, 0.0)
    return network_from_arrays(
        xy,
        uv,
        penalty_s=penalty,
        highway=highway.astype(object),
        source=f"synthetic_city(n_nodes={len(xy)}, seed={seed}) — fictional",
    )
