"""Demand points: where residents live, with a weight, each tied to its leaf grid.

Three sources, best first:

1. a ``buildings`` layer — one point per building (its representative point), weight =
   ``population``, grid = ``grid_id`` or, when missing, the leaf grid containing it;
2. grid ``population`` — spread evenly over a regular lattice (``spacing_m``) inside each
   leaf grid (at least one point per grid);
3. nothing known — the same lattice weighted by area (each point stands for
   ``spacing_m²``), so shares become shares of the built-up area.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from lifecircle.errors import LayerError, LifecircleWarning, ParameterError
from lifecircle.geo.hierarchy import leaf_grids
from lifecircle.typing import CRSLike

__all__ = [
    "DemandWarning",
    "available_memory_bytes",
    "demand_from_layers",
    "demand_table",
    "leaf_grid_ids",
    "max_lattice_points",
    "points_frame",
]

logger = logging.getLogger(__name__)

#: Memory one demand point costs through ``compute_coverage`` at its peak (the point, its
#: snap, per-service minutes and facility, the result's columns), measured on synthetic
#: cities of 100k and 1M nodes (``benchmarks/bench_city_scale.py``), with headroom.
BYTES_PER_POINT = 600

#: The lattice limit when the available memory cannot be read (not Linux).
FALLBACK_LATTICE_POINTS = 2_000_000

#: Share of the available memory the demand points may use.
MEMORY_SHARE = 0.8


class DemandWarning(LifecircleWarning):
    """Demand data is incomplete (mixed population/area weights, buildings outside grids...)."""


def leaf_grid_ids(grids: pd.DataFrame) -> list[str]:
    """Return the ids (as str) of the grids no other grid names as its ``parent_id``."""
    return [str(i) for i in leaf_grids(grids)["id"]]


def demand_from_layers(
    grids: gpd.GeoDataFrame,
    *,
    crs: pyproj.CRS | str,
    buildings: gpd.GeoDataFrame | None = None,
    spacing_m: float = 25.0,
) -> gpd.GeoDataFrame:
    """Place weighted demand points inside the leaf grids.

    Parameters
    ----------
    grids : geopandas.GeoDataFrame
        The grids layer (every level; leaves are found from ``parent_id``).
    crs : pyproj.CRS or str
        Metric CRS for the lattice (the network's).
    buildings : geopandas.GeoDataFrame, optional
        The buildings layer (``population``, optional ``grid_id``).
    spacing_m : float, default 25
        Lattice spacing in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        In ``crs``: ``grid_id``, ``weight``, ``weight_kind`` (``"population"`` or
        ``"area"``), ``source`` (``"building"`` or ``"lattice"``), ``building_id`` (or None).
        The same points as :func:`demand_table`, as Point geometries.
    """
    return points_frame(demand_table(grids, crs=crs, buildings=buildings, spacing_m=spacing_m), crs)


def points_frame(table: pd.DataFrame, crs: CRSLike) -> gpd.GeoDataFrame:
    """Turn the ``x``, ``y`` columns of ``table`` into a Point geometry column.

    The geometry takes the place of ``x`` and ``y`` (which are dropped); the frame is in
    ``crs``, the CRS of the coordinates.
    """
    at = table.columns.get_loc("x")
    frame = table.drop(columns=["x", "y"])
    frame.insert(at, "geometry", shapely.points(table["x"].to_numpy(), table["y"].to_numpy()))
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)


def demand_table(
    grids: gpd.GeoDataFrame,
    *,
    crs: pyproj.CRS | str,
    buildings: gpd.GeoDataFrame | None = None,
    spacing_m: float = 25.0,
) -> pd.DataFrame:
    """The demand points of :func:`demand_from_layers` as coordinate columns (no geometry).

    A Point object costs about 200 bytes, twice what the rest of a demand point's row does:
    a city of millions of points keeps them as arrays (``x``, ``y`` in ``crs``) and makes
    geometries only for the user (:func:`points_frame`).

    Returns
    -------
    pandas.DataFrame
        ``grid_id, weight, weight_kind, source, building_id, x, y``.
    """
    if not spacing_m > 0:
        raise ValueError(f"spacing_m must be > 0 metres, got {spacing_m!r}")
    leaf_ids = leaf_grid_ids(grids)
    leaves = grids.assign(id=grids["id"].astype(str))
    leaves = leaves[leaves["id"].isin(leaf_ids)].to_crs(crs)
    if len(leaves) == 0:
        raise LayerError("grids", ["no leaf grids found (every grid is somebody's parent?)"])
    parts = []
    covered: set[str] = set()
    if buildings is not None and len(buildings):
        bpts = _building_points(buildings.to_crs(crs), leaves)
        parts.append(bpts)
        covered = set(bpts["grid_id"])
    rest = leaves[~leaves["id"].isin(covered)]
    if len(rest):
        _check_lattice_size(rest, spacing_m)
        kind = _weight_kind(rest, with_buildings=bool(covered))
        parts.append(_lattice(rest, spacing_m=spacing_m, kind=kind))
    demand = pd.concat(parts, ignore_index=True)
    logger.info(
        "%d demand points in %d leaf grids (%s)",
        len(demand),
        demand["grid_id"].nunique(),
        ", ".join(sorted(demand["weight_kind"].unique())),
    )
    return demand


def _weight_kind(leaves: pd.DataFrame, *, with_buildings: bool) -> str:
    pop = pd.to_numeric(leaves.get("population"), errors="coerce")
    known = pop.notna() if pop is not None else pd.Series(False, index=leaves.index)
    if with_buildings:
        if not known.all():
            warnings.warn(
                f"{int((~known).sum())} leaf grids have neither buildings nor population "
                f"({_ids(leaves.loc[~known, 'id'])}); they get no weight and no share",
                DemandWarning,
                stacklevel=4,
            )
        return "population"
    if known.all():
        return "population"
    if known.any():
        warnings.warn(
            f"only {int(known.sum())} of {len(leaves)} leaf grids have a population; "
            "weighting every grid by area instead",
            DemandWarning,
            stacklevel=4,
        )
    return "area"


def _ids(values: Iterable[object], limit: int = 5) -> str:
    texts = [str(v) for v in values]
    more = f" and {len(texts) - limit} more" if len(texts) > limit else ""
    return ", ".join(texts[:limit]) + more


def available_memory_bytes() -> int | None:
    """Return the memory available to new work (``MemAvailable`` of ``/proc/meminfo``).

    None where it cannot be read (not Linux).
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def max_lattice_points(available: int | None = None) -> int:
    """Return how many demand lattice points fit in memory.

    ``MEMORY_SHARE`` of the available memory (:func:`available_memory_bytes` by default)
    divided by ``BYTES_PER_POINT``; ``FALLBACK_LATTICE_POINTS`` where it is unknown.
    """
    if available is None:
        available = available_memory_bytes()
    if available is None:
        return FALLBACK_LATTICE_POINTS
    return max(int(available * MEMORY_SHARE / BYTES_PER_POINT), 1)


def _check_lattice_size(leaves: gpd.GeoDataFrame, spacing_m: float) -> None:
    """Refuse a lattice too fine to fit in memory (counted over each grid's bounding box)."""
    bounds = leaves.geometry.bounds.fillna(0.0)
    width = (bounds["maxx"] - bounds["minx"]).to_numpy()
    height = (bounds["maxy"] - bounds["miny"]).to_numpy()

    def count_at(spacing: float) -> float:
        return float(((width / spacing + 1) * (height / spacing + 1)).sum())

    count = count_at(spacing_m)
    limit = max_lattice_points()
    if count > limit:
        suggest = math.ceil(spacing_m * math.sqrt(count / limit))
        for _ in range(200):  # the +1 per row and column: grow until it fits
            if count_at(suggest) <= limit:
                break
            suggest = math.ceil(suggest * 1.05)
        raise ParameterError(
            f"spacing_m={spacing_m:g} would lay out about {count:,.0f} demand lattice points "
            f"over {len(leaves)} leaf grids (at most {limit:,} fit in this machine's "
            f"available memory, at about {BYTES_PER_POINT} bytes each); use spacing_m of at "
            f"least {suggest:g} metres (default 25), or free memory"
        )


def _lattice(leaves: gpd.GeoDataFrame, *, spacing_m: float, kind: str) -> pd.DataFrame:
    """Regular lattice points inside each leaf grid, weights summing to its population/area.

    The lattice is anchored on a global origin, so neighbouring grids share one lattice.
    Every grid's candidate points (its bounding box's lattice nodes, row by row from the
    south) are laid out at once and tested with one ``contains_xy`` call; a grid that
    contains none gets its representative point. Grids come in their order, points in
    lattice order within each.
    """
    polys = leaves.geometry.to_numpy()
    usable = ~(shapely.is_missing(polys) | shapely.is_empty(polys))
    polys = polys[usable]
    ids = leaves["id"].to_numpy()[usable]
    if kind == "population":
        pop = pd.to_numeric(leaves["population"], errors="coerce").to_numpy(float)[usable]
        total = np.where(np.isfinite(pop), pop, 0.0)
    else:
        total = shapely.area(polys)
    bounds = shapely.bounds(polys)
    first = np.ceil(bounds[:, :2] / spacing_m)
    count = np.maximum(np.floor(bounds[:, 2:] / spacing_m) + 1 - first, 0).astype(np.int64)
    per_grid = count[:, 0] * count[:, 1]
    grid = np.repeat(np.arange(len(polys)), per_grid)
    j = np.arange(len(grid)) - np.repeat(np.cumsum(per_grid) - per_grid, per_grid)
    x = (first[grid, 0] + j % count[grid, 0]) * spacing_m
    y = (first[grid, 1] + j // count[grid, 0]) * spacing_m
    shapely.prepare(polys)
    inside = shapely.contains_xy(polys[grid], x, y)
    grid, x, y = grid[inside], x[inside], y[inside]
    empty = np.flatnonzero(np.bincount(grid, minlength=len(polys)) == 0)
    if len(empty):
        rep = shapely.get_coordinates(shapely.point_on_surface(polys[empty]))
        order = np.argsort(np.concatenate([grid, empty]), kind="stable")
        grid = np.concatenate([grid, empty])[order]
        x, y = np.concatenate([x, rep[:, 0]])[order], np.concatenate([y, rep[:, 1]])[order]
    n = np.bincount(grid, minlength=len(polys))
    return pd.DataFrame(
        {
            "grid_id": ids[grid],
            "weight": (total / np.maximum(n, 1))[grid],
            "weight_kind": kind,
            "source": "lattice",
            "building_id": pd.Series([None] * len(grid), dtype=object),
            "x": x,
            "y": y,
        }
    )


def _building_points(buildings: gpd.GeoDataFrame, leaves: gpd.GeoDataFrame) -> pd.DataFrame:
    """One point per building, joined to its leaf grid (by ``grid_id`` or location)."""
    pop = pd.to_numeric(buildings["population"], errors="coerce")
    bad = pop.isna() | (pop < 0)
    if bad.any():
        labels = buildings["id"] if "id" in buildings else pd.Series(buildings.index + 1)
        named = _ids(f"'{v}'" for v in labels.to_numpy()[bad.to_numpy()])
        noun = "building" if int(bad.sum()) == 1 else "buildings"
        raise LayerError(
            "buildings",
            [
                f"column 'population' is blank or negative for {int(bad.sum())} {noun} "
                f"(id {named}); the residents of every building are needed to place the "
                "demand: write each building's residents (0 for none), or leave the "
                "buildings layer out to spread each grid's population instead"
            ],
        )
    pts = shapely.point_on_surface(buildings.geometry.to_numpy())
    grid_id = buildings["grid_id"] if "grid_id" in buildings else pd.Series(None, buildings.index)
    grid_id = grid_id.astype(object).where(grid_id.notna(), None)
    grid_id = grid_id.map(lambda g: None if g is None else str(g))
    leaf_set = set(leaves["id"])
    unknown = grid_id.notna() & ~grid_id.isin(leaf_set)
    if unknown.any():
        logger.info("%d buildings name a non-leaf grid; locating them instead", int(unknown.sum()))
    todo = grid_id.isna() | unknown
    if todo.any():
        grid_id = grid_id.copy()
        grid_id[todo] = _locate(pts[todo.to_numpy()], leaves)
    return pd.DataFrame(
        {
            "grid_id": grid_id.to_numpy(),
            "weight": pop.to_numpy(dtype=float),
            "weight_kind": "population",
            "source": "building",
            "building_id": buildings["id"].astype(str).to_numpy()
            if "id" in buildings
            else buildings.index.astype(str),
            "x": shapely.get_x(pts),
            "y": shapely.get_y(pts),
        }
    )


def _locate(points: np.ndarray, leaves: gpd.GeoDataFrame) -> np.ndarray:
    """Leaf grid id containing each point; the nearest leaf (with a warning) when outside all."""
    tree = shapely.STRtree(leaves.geometry.to_numpy())
    ids = leaves["id"].to_numpy()
    out = np.full(len(points), None, dtype=object)
    ip, ig = tree.query(points, predicate="intersects")
    first = pd.Series(ig).groupby(ip).min()
    out[first.index.to_numpy()] = ids[first.to_numpy()]
    outside = np.flatnonzero(pd.isna(out))
    if len(outside):
        (jp, jg), dist = tree.query_nearest(points[outside], return_distance=True)
        out[outside[jp]] = ids[jg]
        warnings.warn(
            f"{len(outside)} buildings lie outside every leaf grid (up to {dist.max():.0f} m "
            "away); each was given the nearest grid",
            DemandWarning,
            stacklevel=5,
        )
    return out
