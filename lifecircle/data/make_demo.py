"""Generate the embedded SYNTHETIC demo district (fictional, not real streets).

The district is laid out on a jittered, slightly rotated and bent 100 m lattice of
14 x 12 cells (two corner blocks removed, ≈1.6 km²) placed in open sea in the East
China Sea around lon 123.000, lat 31.000 (UTM zone 51N, like Shanghai), so that it
can never be mistaken for real streets on a basemap. Streets run along the even
lattice lines; every 100 m cell gets a lane (弄堂) system entering from one of its
two street sides. Everything is built in lattice coordinates ``(u, v)`` that are
quantised to 1/200 of a cell, so shared nodes have bit-identical coordinates.

Run ``python -m lifecircle.data.make_demo [--out DIR]``. The output is byte-identical
for a given version of this script (seeded generator, rounded coordinates, fixed key
order).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TypeGuard

import numpy as np
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from lifecircle.data.demo_facilities import build_facilities
from lifecircle.data.demo_features import (
    build_buildings,
    build_conservation,
    build_elderly,
    build_heritage,
    build_seats,
)
from lifecircle.data.demo_lattice import (
    CN_NUM,
    DEMO_DESCRIPTION,
    DEMO_NAME,
    MICROGRIDS,
    N_CU,
    N_CV,
    SEED,
    BlockPart,
    Cell,
    Key,
    Lattice,
    Record,
    block_code,
    union_cells,
)
from lifecircle.data.demo_network import build_network, network_records

__all__ = ["DEMO_DESCRIPTION", "DEMO_NAME", "build_layers", "main", "write_demo"]


def microgrid_cells(spec: list[BlockPart]) -> list[Cell]:
    """Cells of a micro-grid given as whole blocks or half blocks."""
    cells = []
    for item in spec:
        half, (bx, by) = (item[0], item[1:]) if isinstance(item[0], str) else (None, item)
        for cu in (2 * bx, 2 * bx + 1):
            for cv in (2 * by, 2 * by + 1):
                keep = {
                    None: True,
                    "W": cu == 2 * bx,
                    "E": cu == 2 * bx + 1,
                    "S": cv == 2 * by,
                    "N": cv == 2 * by + 1,
                }[half]
                if keep:
                    cells.append((cu, cv))
    return cells


def build_grids(lat: Lattice, rng: np.random.Generator) -> tuple[list[Record], dict[Cell, str]]:
    """Grid records (id, name, level, parent_id, kind, population, geometry) and cell owners."""
    owner: dict[Cell, str] = {}
    leaves, areas = residential_grids(lat, rng, owner)
    for z in range(1, 6):
        cells = [
            (cu, cv)
            for cu in range(N_CU)
            for cv in range(N_CV)
            if block_code(cu // 2, cv // 2) == str(z)
        ]
        name = f"示范商务区{CN_NUM[z - 1]} Demo Business Zone {z}"
        pop = int(rng.integers(50, 301))
        areas.append(_grid(f"C{z}", name, "area", "S", "commercial", pop, lat, cells))
        owner.update(dict.fromkeys(cells, f"C{z}"))
    pop = sum(r["population"] for r in areas)
    name = "示范街道 Demo Subdistrict (synthetic)"
    root = _grid("S", name, "subdistrict", None, None, pop, lat, list(owner))
    return [root, *areas, *leaves], owner


def residential_grids(
    lat: Lattice, rng: np.random.Generator, owner: dict[Cell, str]
) -> tuple[list[Record], list[Record]]:
    """Residential micro-grids and their areas; records each cell's micro-grid in ``owner``."""
    leaves, areas = [], []
    for n, letter in enumerate(sorted(MICROGRIDS), start=1):
        area_id, area_cells, kids = f"A{n:02d}", [], []
        for m, spec in enumerate(MICROGRIDS[letter], start=1):
            cells = microgrid_cells(spec)
            low, high = {2: (500, 760), 4: (800, 1260), 8: (1200, 1500)}[len(cells)]
            pop = int(rng.integers(low, high + 1))
            name = f"示范{CN_NUM[n - 1]}居民区第{m}微网格 Demo Area {n} Micro-grid {m}"
            grid_id = f"{area_id}-{m}"
            kids.append(_grid(grid_id, name, "microgrid", area_id, "residential", pop, lat, cells))
            owner.update(dict.fromkeys(cells, grid_id))
            area_cells += cells
        name = f"示范{CN_NUM[n - 1]}居民区 Demo Area {n}"
        pop = sum(r["population"] for r in kids)
        areas.append(_grid(area_id, name, "area", "S", "residential", pop, lat, area_cells))
        leaves += kids
    return leaves, areas


def _grid(
    gid: str,
    name: str,
    level: str,
    parent: str | None,
    kind: str | None,
    pop: int,
    lat: Lattice,
    cells: list[Cell],
) -> Record:
    return {
        "id": gid,
        "name": name,
        "level": level,
        "parent_id": parent,
        "kind": kind,
        "population": pop,
        "geometry": union_cells(lat, cells),
    }


# ------------------------------------------------------------------- output
def _is_key(point: Key | tuple[float, float]) -> TypeGuard[Key]:
    return isinstance(point[0], int)


def _coords(
    lat: Lattice, geom: BaseGeometry | list[Key] | list[tuple[float, float]]
) -> list[list[float]] | dict[str, object]:
    if isinstance(geom, list):  # network way in node keys or metres
        return [lat.lonlat(*(lat.metres(p) if _is_key(p) else p)) for p in geom]
    gj = mapping(geom)
    if gj["type"] == "Point":
        return {"type": "Point", "coordinates": lat.lonlat(geom.x, geom.y)}
    rings = [geom.exterior, *geom.interiors]
    return {
        "type": "Polygon",
        "coordinates": [[lat.lonlat(x, y) for x, y in r.coords] for r in rings],
    }


def feature_collection(lat: Lattice, records: list[Record]) -> str:
    """Serialise records (properties + ``geometry``) as a stable, labelled GeoJSON text."""
    head = {"type": "FeatureCollection", "name": DEMO_NAME, "description": DEMO_DESCRIPTION}
    lines = []
    for rec in records:
        props = {k: v for k, v in rec.items() if k != "geometry"}
        geom = rec["geometry"]
        gj = (
            {"type": "LineString", "coordinates": _coords(lat, geom)}
            if isinstance(geom, list)
            else _coords(lat, geom)
        )
        feat = {"type": "Feature", "properties": props, "geometry": gj}
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return text + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"


def build_layers(seed: int = SEED) -> tuple[Lattice, dict[str, list[Record]]]:
    """Build every layer as records in local metres (network ways in node keys)."""
    rng = np.random.default_rng(seed)
    lat = Lattice(rng)
    grids, owner = build_grids(lat, rng)
    ways, sides = build_network(rng)
    conservation = build_conservation(lat)
    elderly = build_elderly(lat)
    layers = {
        "grids": grids,
        "buildings": build_buildings(lat, grids, owner, sides, rng),
        "seats": build_seats(lat, ways, elderly, rng),
        "elderly": elderly,
        "heritage": build_heritage(lat, sides, conservation, rng),
        "conservation": conservation,
        "network": network_records(lat, ways),
        # fixed positions, no random draw: the layers above are unchanged by its presence
        "facilities": build_facilities(lat),
    }
    return lat, layers


def write_demo(out_dir: str | Path, *, seed: int = SEED) -> list[Path]:
    """Generate the demo district and write one GeoJSON file per layer into ``out_dir``.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Target folder (created if needed).
    seed : int
        Seed of the random generator; the committed files use the default.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from lifecircle.data import DEMO_LAYER_FILES

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lat, layers = build_layers(seed)
    paths = []
    for layer, records in layers.items():
        path = out / DEMO_LAYER_FILES[layer]
        path.write_bytes(feature_collection(lat, records).encode("utf-8"))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m lifecircle.data.make_demo [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "demo",
        help="output folder (default: the package's data/demo)",
    )
    args = parser.parse_args(argv)
    for path in write_demo(args.out):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
