"""A fictional city to try ``lifecircle batch`` offline: ``lifecircle batch --demo-city``.

:func:`write_demo_city` writes a complete batch study into a folder — ``city.toml`` and
its files — so that the batch runs on files exactly as a real city would:

- ``city-network.gpkg``: the streets of :func:`~lifecircle.coverage.network.synthetic_city`
  as a line layer (read by ``network_from_lines``, cached after the first run);
- ``districts.gpkg``: the city cut into ``columns × rows`` rectangular districts, with
  their residents (``population``: 25 per street node, as in
  :mod:`lifecircle.study.synthetic_city`);
- ``grids.gpkg``: 500 m micro-grids (25 residents per street node) under one root grid
  per district, for every district but the last — that one has no grids, so the batch
  generates its lattice (its residents shared by area);
- ``elderly.gpkg``, ``seats.gpkg``, ``heritage.gpkg``: city-wide layers (elderly services
  of :func:`~lifecircle.study.synthetic_city.synthetic_city_layers`, one every 60 street
  nodes so that some districts fall short; one seat site every 40 nodes; a few heritage
  sites).

Everything is fictional and labelled so (``[study] synthetic = true``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lifecircle.coverage.network.synthetic import synthetic_city
from lifecircle.study.batch_inputs import lattice_grids
from lifecircle.study.synthetic_city import synthetic_city_layers

__all__ = ["DEMO_CITY_TOML", "write_demo_city"]

#: The batch study of the demo city (its targets: elderly services within 15 minutes at
#: the elderly pace for 90% of each district's residents, care services for 70%).
DEMO_CITY_TOML = """\
# A fictional city for `lifecircle batch` (written by `lifecircle batch --demo-city`).
[study]
name = "合成城市 Synthetic City"
description = "Fictional streets, districts and services: not a real place"
synthetic = true

[layers]
grids = "grids.gpkg"
seats = "seats.gpkg"
elderly = "elderly.gpkg"
heritage = "heritage.gpkg"

[network]
source = "city-network.gpkg"

[batch]
districts = "districts.gpkg"
district_column = "district"
cell_m = 500

[[targets]]
name = "90% of each district's residents within 15 min of an elderly service"
metric = "coverage"
service = "elderly"
minimum = 0.9
level = "subdistrict"

[[targets]]
name = "70% of each district's residents within 15 min of a care service"
metric = "coverage"
service = "care"
minimum = 0.7
level = "subdistrict"

[outputs]
dir = "out"

[cache]
dir = ".lifecircle-cache"
"""


def _points(xy: np.ndarray, crs: object, prefix: str, extra: dict[str, object]) -> gpd.GeoDataFrame:
    ids = [f"{prefix}{i:05d}" for i in range(1, len(xy) + 1)]
    frame = pd.DataFrame({"id": ids, "name": ids, **extra})
    return gpd.GeoDataFrame(frame, geometry=shapely.points(xy), crs=crs).to_crs(4326)


def _residents_by_node(grids: gpd.GeoDataFrame, xy: np.ndarray, crs: object) -> gpd.GeoDataFrame:
    """25 residents per street node of each micro-grid; the root holds their sum."""
    cells = grids.geometry.to_crs(crs).to_numpy()
    counts = np.array([shapely.contains_xy(c, xy[:, 0], xy[:, 1]).sum() for c in cells])
    population = counts * 25.0
    root = grids["parent_id"].isna().to_numpy()
    population[root] = population[~root].sum()
    return grids.assign(population=population)


def write_demo_city(
    folder: str | Path,
    *,
    n_nodes: int = 12_000,
    columns: int = 3,
    rows: int = 2,
    seed: int = 7,
) -> Path:
    """Write the demo city's batch study into ``folder``; return its ``city.toml``.

    Parameters
    ----------
    folder : path
        Created if missing; existing demo files in it are replaced.
    n_nodes : int, default 12,000
        Street nodes of the city (about 9 km² per 1,000 nodes... at a 90 m street grid,
        12,000 nodes make a city of about 10 × 10 km).
    columns, rows : int, default 3 and 2
        The districts: a ``columns × rows`` grid of rectangles.
    seed : int
        Seed of every random draw (same arguments -> the same files).
    """
    if columns < 1 or rows < 1 or columns * rows < 2:
        raise ValueError(f"the demo city needs at least 2 districts, got {columns} x {rows}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    network = synthetic_city(n_nodes, seed=seed)
    crs = network.crs
    network.edges[["highway", "geometry"]].to_file(folder / "city-network.gpkg", driver="GPKG")
    xy = network.node_xy
    (x0, y0), (x1, y1) = xy.min(axis=0) - 1.0, xy.max(axis=0) + 1.0
    xs, ys = np.linspace(x0, x1, columns + 1), np.linspace(y0, y1, rows + 1)
    boxes, ids = [], list[str]()
    for r in range(rows):
        for c in range(columns):
            boxes.append(shapely.box(xs[c], ys[r], xs[c + 1], ys[r + 1]))
            ids.append(f"D{len(ids) + 1:02d}")
    nodes_in = [int(shapely.contains_xy(b, xy[:, 0], xy[:, 1]).sum()) for b in boxes]
    districts = gpd.GeoDataFrame(
        {"id": ids, "name": [f"合成街道{i[1:]} District {i[1:]}" for i in ids],
         "population": [n * 25 for n in nodes_in]},
        geometry=boxes, crs=crs,
    ).to_crs(4326)  # fmt: skip
    districts.to_file(folder / "districts.gpkg", driver="GPKG")
    grids = pd.concat(
        [_residents_by_node(lattice_grids(row, cell_m=500.0, crs_m=crs), xy, crs)
         .assign(district=row["id"]) for _, row in districts.iloc[:-1].iterrows()],
        ignore_index=True,
    )  # fmt: skip
    gpd.GeoDataFrame(grids, crs=4326).to_file(folder / "grids.gpkg", driver="GPKG")
    layers = synthetic_city_layers(network, seed=seed, nodes_per_facility=60)
    layers.elderly.to_file(folder / "elderly.gpkg", driver="GPKG")
    rng = np.random.default_rng(seed)
    seat_xy = xy[rng.choice(len(xy), size=max(1, len(xy) // 40), replace=False)] + 3.0
    _points(seat_xy, crs, "S", {"seats": 2}).to_file(folder / "seats.gpkg", driver="GPKG")
    heritage_xy = xy[rng.choice(len(xy), size=5, replace=False)] + 5.0
    _points(heritage_xy, crs, "H", {"level": "district"}).to_file(
        folder / "heritage.gpkg", driver="GPKG"
    )
    study = folder / "city.toml"
    study.write_text(DEMO_CITY_TOML, encoding="utf-8")
    return study
