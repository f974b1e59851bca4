"""A fictional city at any scale: planning layers over :func:`synthetic_city` networks.

Benchmarks and batch demos need a whole study area — grids in a subdistrict > area >
micro-grid hierarchy with residents, and elderly-service facilities — over a street
network of 10k to 1M nodes, reproducibly and offline. :func:`synthetic_city_layers` lays
them over any metric :class:`~lifecircle.coverage.network.WalkNetwork` (typically
:func:`~lifecircle.coverage.network.synthetic_city`), vectorised, so a 1M-node city takes
seconds.

It lives in ``study`` because it builds :class:`~lifecircle.geo.Layers` for a network: the
first package above both ``geo`` and ``coverage``, and the home of whole studies (and of a
batch of them). The result is fictional: never present it as a real place.

Defaults: 500 m micro-grids (the scale of Shanghai's 15-minute life-circle micro-grids);
areas of 4 x 4 micro-grids; about 25 residents per street node (a 90 m street grid with
lanes gives roughly 10,000 residents per km², the order of central Shanghai); one elderly
facility per 100 street nodes, the service types in turn.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lifecircle.coverage.network.synthetic import synthetic_city
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.geo.layers import Layers
from lifecircle.geo.schema import ELDERLY_TYPES
from lifecircle.typing import FloatArray, GeometryArray, IndexArray

__all__ = ["synthetic_city_layers", "synthetic_city_study"]

_NAME = "synthetic city — fictional, not a real place"


def synthetic_city_layers(
    network: WalkNetwork,
    *,
    seed: int,
    grid_m: float = 500.0,
    area_grids: int = 4,
    residents_per_node: float = 25.0,
    nodes_per_facility: int = 100,
) -> Layers:
    """Lay fictional grids, residents and elderly facilities over ``network``.

    Parameters
    ----------
    network : WalkNetwork
        A network in a metric CRS (e.g. from :func:`synthetic_city`).
    seed : int
        Seed of the random generator (same network and seed -> identical layers).
    grid_m : float, default 500
        Side of the square micro-grids, which tile the network's bounding box (those on
        its top and right borders are cut to it).
    area_grids : int, default 4
        Micro-grids per side of an area (the last row and column of areas may be smaller).
    residents_per_node : float, default 25
        Mean residents per street node inside a micro-grid (Poisson-drawn per grid).
    nodes_per_facility : int, default 100
        One elderly facility per this many nodes (at least one), each a few metres off a
        random node; the types of :data:`~lifecircle.geo.schema.ELDERLY_TYPES` in turn.

    Returns
    -------
    Layers
        In EPSG:4326: ``grids`` (one subdistrict ``S``, areas ``A0001``..., micro-grids
        ``M000001``...; population on every level, parents the sum of their children),
        ``elderly`` (no capacity), and empty ``seats`` and ``heritage``; ``synthetic`` set.

    Examples
    --------
    >>> layers = synthetic_city_layers(synthetic_city(2_000, seed=1), seed=1)
    >>> layers.grids["level"].value_counts().to_dict()
    {'microgrid': 64, 'area': 4, 'subdistrict': 1}
    """
    if not grid_m > 0:
        raise ValueError(f"grid_m must be > 0 metres, got {grid_m!r}")
    if area_grids < 1 or nodes_per_facility < 1:
        raise ValueError(
            f"area_grids and nodes_per_facility must be >= 1, got {area_grids} and "
            f"{nodes_per_facility}"
        )
    if residents_per_node < 0:
        raise ValueError(f"residents_per_node must be >= 0, got {residents_per_node!r}")
    rng = np.random.default_rng(seed)
    xy = network.node_xy
    grids = _grids(xy, rng, grid_m=grid_m, area_grids=area_grids, per_node=residents_per_node)
    elderly = _facilities(xy, rng, n=max(1, len(xy) // nodes_per_facility))
    crs = network.crs
    return Layers(
        grids=gpd.GeoDataFrame(grids, geometry="geometry", crs=crs).to_crs(4326),
        seats=gpd.GeoDataFrame(
            {
                "id": pd.Series([], dtype=object),
                "name": pd.Series([], dtype=object),
                "seats": pd.Series([], dtype=np.int64),
                "armrest": pd.Series([], dtype=bool),
                "charging": pd.Series([], dtype=bool),
            },
            geometry=gpd.GeoSeries([], crs=4326),
        ),
        elderly=gpd.GeoDataFrame(elderly, geometry="geometry", crs=crs).to_crs(4326),
        heritage=gpd.GeoDataFrame(
            {k: pd.Series([], dtype=object) for k in ("id", "name", "level", "category")},
            geometry=gpd.GeoSeries([], crs=4326),
        ),
        name=_NAME,
        synthetic=True,
    )


def synthetic_city_study(n_nodes: int, *, seed: int) -> tuple[Layers, WalkNetwork]:
    """Return a fictional city of ``n_nodes`` street nodes: its layers and its network.

    :func:`synthetic_city` (``seed``) with :func:`synthetic_city_layers` (``seed``) at
    their defaults.

    Examples
    --------
    >>> layers, network = synthetic_city_study(2_000, seed=1)
    >>> network.n_nodes, len(layers.elderly)
    (2000, 20)
    """
    network = synthetic_city(n_nodes, seed=seed)
    return synthetic_city_layers(network, seed=seed), network


def _grids(
    xy: FloatArray, rng: np.random.Generator, *, grid_m: float, area_grids: int, per_node: float
) -> pd.DataFrame:
    """The three-level grid frame in the network's CRS (subdistrict, areas, micro-grids)."""
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    cols = max(1, int(np.ceil((x1 - x0) / grid_m)))
    rows = max(1, int(np.ceil((y1 - y0) / grid_m)))
    col, row = (a.ravel() for a in np.meshgrid(np.arange(cols), np.arange(rows)))
    # micro-grid of every node (the top and right borders belong to the last cell)
    node_col = np.minimum(((xy[:, 0] - x0) // grid_m).astype(np.int64), cols - 1)
    node_row = np.minimum(((xy[:, 1] - y0) // grid_m).astype(np.int64), rows - 1)
    nodes = np.bincount(node_row * cols + node_col, minlength=rows * cols)
    micro_pop = rng.poisson(nodes * per_node).astype(float)

    area_cols = -(-cols // area_grids)
    area_of = (row // area_grids) * area_cols + col // area_grids
    n_area = area_cols * -(-rows // area_grids)
    area_pop = np.bincount(area_of, weights=micro_pop, minlength=n_area)
    a_col, a_row = np.arange(n_area) % area_cols, np.arange(n_area) // area_cols
    side = area_grids * grid_m

    def boxes(c: IndexArray, r: IndexArray, size: float) -> GeometryArray:
        """Cells of side ``size``, clipped to the nodes' bounding box."""
        right, top = np.minimum(x0 + (c + 1) * size, x1), np.minimum(y0 + (r + 1) * size, y1)
        cells: GeometryArray = shapely.box(x0 + c * size, y0 + r * size, right, top)
        return cells

    micro_id = np.char.add("M", np.char.zfill(np.arange(1, len(col) + 1).astype(str), 6))
    area_id = np.char.add("A", np.char.zfill(np.arange(1, n_area + 1).astype(str), 4))
    frames = [
        pd.DataFrame(
            {
                "id": ["S"],
                "name": ["合成街道 Synthetic Subdistrict"],
                "level": "subdistrict",
                "parent_id": [None],
                "kind": [None],
                "population": [float(micro_pop.sum())],
                "geometry": [shapely.box(x0, y0, x1, y1)],
            }
        ),
        pd.DataFrame(
            {
                "id": area_id.astype(object),
                "name": np.char.add("Area ", area_id).astype(object),
                "level": "area",
                "parent_id": "S",
                "kind": "residential",
                "population": area_pop,
                "geometry": boxes(a_col, a_row, side),
            }
        ),
        pd.DataFrame(
            {
                "id": micro_id.astype(object),
                "name": np.char.add("Micro-grid ", micro_id).astype(object),
                "level": "microgrid",
                "parent_id": area_id[area_of].astype(object),
                "kind": "residential",
                "population": micro_pop,
                "geometry": boxes(col, row, grid_m),
            }
        ),
    ]
    return pd.concat(frames, ignore_index=True)


def _facilities(xy: FloatArray, rng: np.random.Generator, *, n: int) -> pd.DataFrame:
    """``n`` elderly facilities a few metres off random nodes, the types in turn."""
    at = rng.choice(len(xy), size=n, replace=False)
    offset = rng.uniform(-15.0, 15.0, size=(n, 2))
    codes = np.array([c.code for c in ELDERLY_TYPES], dtype=object)
    ids = np.char.add("F", np.char.zfill(np.arange(1, n + 1).astype(str), 6)).astype(object)
    return pd.DataFrame(
        {
            "id": ids,
            "name": np.char.add("Facility ", ids.astype(str)).astype(object),
            "type": codes[np.arange(n) % len(codes)],
            "capacity": np.full(n, np.nan),
            "geometry": shapely.points(xy[at] + offset),
        }
    )
