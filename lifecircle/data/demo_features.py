"""Point and footprint layers of the synthetic demo district.

Part of the generator :mod:`lifecircle.data.make_demo`: residential buildings, heritage,
conservation areas, elderly services and public seats.
"""

from __future__ import annotations

import itertools

import numpy as np
from shapely import unary_union
from shapely.geometry import Point, Polygon
from shapely.geometry.polygon import orient

from lifecircle.data.demo_lattice import (
    CN_NUM,
    COURTYARD_CELL,
    GAP_ZONES,
    N_CU,
    N_CV,
    Cell,
    Key,
    Lattice,
    Q,
    Record,
    Way,
    block_code,
    cell_exists,
    cell_quad,
    k_,
    to_cell,
    union_cells,
)
from lifecircle.typing import FloatArray

BANDS = ((0.08, 0.2), (0.3, 0.45), (0.55, 0.7), (0.8, 0.95))
SIDES = ((0.1, 0.42), (0.58, 0.9))


def slot_keys(cell: Cell, side: str, band: int, col: int, inset: float = 0.0) -> list[Key]:
    """Corner keys of a building slot between two branch lanes of a cell."""
    (t0, t1), (s0, s1) = BANDS[band], SIDES[col]
    s0, s1, t0, t1 = s0 + inset, s1 - inset, t0 + inset, t1 - inset
    keys = [to_cell(*cell, side, s, t) for s, t in ((s0, t0), (s1, t0), (s1, t1), (s0, t1))]
    return keys


def footprint(lat: Lattice, keys: list[Key], as_point: bool) -> Polygon | Point:
    """Footprint polygon (or its centroid) of corner keys, counter-clockwise."""
    poly = orient(lat.polygon(keys), 1.0)
    return Point(round(poly.centroid.x, 3), round(poly.centroid.y, 3)) if as_point else poly


def allocate(total: int, weights: FloatArray) -> list[int]:
    """Split an integer total proportionally to weights (largest remainder)."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    order = np.argsort(-(raw - out), kind="stable")
    out[order[: total - out.sum()]] += 1
    return [int(x) for x in out]


def build_buildings(
    lat: Lattice,
    grids: list[Record],
    owner: dict[Cell, str],
    sides: dict[Cell, str],
    rng: np.random.Generator,
) -> list[Record]:
    """Residential building footprints whose populations sum to their micro-grid's."""
    by_grid: dict[str, list[Record]] = {}
    cells = sorted(c for c, g in owner.items() if "-" in g and (c in sides or c == COURTYARD_CELL))
    for cell in cells:
        side = sides.get(cell, "B")
        slots = [(b, c) for b in range(4) for c in range(2)]
        keep = rng.choice(len(slots), size=int(rng.integers(5, 7)), replace=False)
        for i in sorted(keep):
            band, col = slots[i]
            geom = footprint(lat, slot_keys(cell, side, band, col, inset=0.01), rng.random() < 0.1)
            by_grid.setdefault(owner[cell], []).append({"geometry": geom, "grid_id": owner[cell]})
    out: list[Record] = []
    for grid in grids:
        recs = by_grid.get(grid["id"], [])
        if not recs:
            continue
        weights = np.array([max(r["geometry"].area, 150.0) for r in recs])
        weights = weights * rng.uniform(0.7, 1.3, size=len(recs))
        for rec, pop in zip(recs, allocate(grid["population"], weights), strict=True):
            n = len(out) + 1
            out.append(
                {
                    "id": f"B{n:04d}",
                    "name": f"示范{n}号楼 Demo Building {n}",
                    "population": pop,
                    "grid_id": rec["grid_id"],
                    "geometry": rec["geometry"],
                }
            )
    return out


RELIC_LEVELS = (("national", 3), ("municipal", 10), ("district", 15), ("protection_point", 72))
HISTORIC_CATEGORIES = (("I", 12), ("II", 38), ("III", 70), ("IV", 110), ("V", 50))
RELIC_KINDS = (
    "旧居 Former Residence",
    "旧址 Historic Site",
    "教堂 Chapel",
    "公馆 Mansion",
    "石库门里弄 Shikumen Lane",
    "会馆 Guild Hall",
    "学堂 School House",
    "花园住宅 Villa",
)


def build_heritage(
    lat: Lattice, sides: dict[Cell, str], conservation: list[Record], rng: np.random.Generator
) -> list[Record]:
    """~100 fictional relics and 280 historic buildings, mostly in conservation areas."""
    zones = unary_union([c["geometry"] for c in conservation])
    slots = [(cell, b, c) for cell in sorted(sides) for b in range(4) for c in range(2)]
    inside = np.array([zones.contains(lat.polygon(cell_quad(*s[0])).centroid) for s in slots])
    weights = np.where(inside, 9.0, 1.0)
    n_total = sum(n for _, n in RELIC_LEVELS) + sum(n for _, n in HISTORIC_CATEGORIES)
    picks = rng.choice(len(slots), size=n_total, replace=False, p=weights / weights.sum())
    labels = [("relic", lvl) for lvl, n in RELIC_LEVELS for _ in range(n)]
    labels += [("historic", cat) for cat, n in HISTORIC_CATEGORIES for _ in range(n)]
    out = []
    for n, (pick, (kind, code)) in enumerate(zip(picks, labels, strict=True), start=1):
        cell, band, col = slots[pick]
        keys = slot_keys(cell, sides[cell], band, col, inset=float(rng.uniform(0.01, 0.03)))
        geom = footprint(lat, keys, rng.random() < 0.15)
        if kind == "relic":
            zh, en = RELIC_KINDS[int(rng.integers(len(RELIC_KINDS)))].split(" ", 1)
            rec = {
                "id": f"R{n:03d}",
                "name": f"示范{zh}{n}号 Demo {en} No. {n}",
                "level": code,
                "category": None,
            }
        else:
            m = n - 100
            rec = {
                "id": f"H{m:03d}",
                "name": f"示范优秀历史建筑{m}号 Demo Historic Building {m}",
                "level": "historic_building",
                "category": code,
            }
        out.append(rec | {"geometry": geom})
    return out


def build_conservation(lat: Lattice) -> list[Record]:
    """Two conservation areas (历史文化风貌区) covering ≈85% of the district."""
    excluded = {(6, 1), (6, 2), (6, 3), (6, 4), (5, 0), (6, 0)}
    west: list[Cell] = []
    east: list[Cell] = []
    for cu in range(N_CU):
        for cv in range(N_CV):
            block = (cu // 2, cv // 2)
            if cell_exists(cu, cv) and block not in excluded:
                (west if block[0] <= 2 else east).append((cu, cv))
    return [
        {
            "id": "CA1",
            "name": "示范西区历史文化风貌区 Demo West Historic Conservation Area",
            "geometry": union_cells(lat, west),
        },
        {
            "id": "CA2",
            "name": "示范东区历史文化风貌区 Demo East Historic Conservation Area",
            "geometry": union_cells(lat, east),
        },
    ]


# ------------------------------------------------------- elderly and seats
# (type, zh, en, capacity, lattice u, v); bathing sites marked * are co-located.
ELDERLY = (
    ("life_centre", "示范乐龄生活馆", "Demo Elderly Life Centre", 80, 5.35, 7.88),
    ("care_home", "示范长者照护之家", "Demo Elder Care Home", 45, 3.12, 2.35),
    ("day_care", "示范第一日间照料中心", "Demo Day-care Centre 1", 30, 1.88, 9.4),
    ("day_care", "示范第二日间照料中心", "Demo Day-care Centre 2", 30, 9.12, 5.6),
    ("life_station", "示范乐龄生活站一", "Demo Life Station 1", 20, 1.12, 6.35),
    ("life_station", "示范乐龄生活站二", "Demo Life Station 2", 20, 3.88, 11.3),
    ("life_station", "示范乐龄生活站三", "Demo Life Station 3", 20, 7.3, 10.12),
    ("life_station", "示范乐龄生活站四", "Demo Life Station 4", 20, 10.88, 10.4),
    ("life_station", "示范乐龄生活站五", "Demo Life Station 5", 20, 5.6, 0.88),
    ("life_station", "示范乐龄生活站六", "Demo Life Station 6", 20, 0.88, 3.6),
    ("life_station", "示范乐龄生活站七", "Demo Life Station 7", 20, 8.12, 3.3),
    ("canteen", "示范长者食堂", "Demo Community Canteen", 150, 6.6, 8.12),
)
BATHING_AT = (0, 1, 4, 5, 7, 9)  # co-located with these facilities (3 m away)
BATHING_ALONE = ((12.12, 8.6),)


def build_elderly(lat: Lattice) -> list[Record]:
    """11 elderly facilities + 1 canteen + 7 assisted-bathing sites."""
    out = []
    for n, (typ, zh, en, cap, u, v) in enumerate(ELDERLY, start=1):
        x, y = lat.metres(k_(u, v))
        out.append(
            {
                "id": f"E{n:02d}",
                "name": f"{zh} {en}",
                "type": typ,
                "capacity": cap,
                "geometry": Point(x, y),
            }
        )
    spots = [(out[i]["geometry"].x + 3.0, out[i]["geometry"].y, out[i]["name"]) for i in BATHING_AT]
    spots += [(*lat.metres(k_(u, v)), None) for u, v in BATHING_ALONE]
    for m, (x, y, host) in enumerate(spots, start=1):
        name = f"示范助浴点{CN_NUM[m - 1]} Demo Bathing Site {m}"
        if host:
            name += f" ({host.split(' ')[0]})"
        out.append(
            {
                "id": f"E{len(out) + 1:02d}",
                "name": name,
                "type": "bathing",
                "capacity": 2,
                "geometry": Point(x, y),
            }
        )
    return out


def seat_candidates(
    lat: Lattice, ways: list[Way], elderly: list[Record]
) -> list[tuple[FloatArray, FloatArray, float]]:
    """Street/park segments that may host seats, with sampling weights."""
    near = [np.array([e["geometry"].x, e["geometry"].y]) for e in elderly]
    cands = []
    for pts, tags in ways:
        in_park = "Park" in tags.get("name", "Park")
        if tags["highway"] in ("footway", "service", "steps") and not in_park:
            continue
        for a, b in itertools.pairwise(pts):
            mu, mv = (a[0] + b[0]) / 2 / Q, (a[1] + b[1]) / 2 / Q
            if any(u0 <= mu <= u1 and v0 <= mv <= v1 for u0, u1, v0, v1 in GAP_ZONES):
                continue
            pa, pb = np.array(lat.metres(a)), np.array(lat.metres(b))
            weight = 1.0
            if any(
                block_code(int(mu + du) // 2, int(mv + dv) // 2).isdigit()
                for du in (-0.2, 0.2)
                for dv in (-0.2, 0.2)
            ):
                weight += 2.0
            if min(np.linalg.norm((pa + pb) / 2 - e) for e in near) < 150.0:
                weight += 3.0
            cands.append((pa, pb, weight))
    return cands


def build_seats(
    lat: Lattice,
    ways: list[Way],
    elderly: list[Record],
    rng: np.random.Generator,
    *,
    n_sites: int = 104,
) -> list[Record]:
    """~100 seat sites a few metres off street centrelines, with deliberate gaps."""
    cands = seat_candidates(lat, ways, elderly)
    weights = np.array([c[2] for c in cands])
    placed: list[FloatArray] = []
    while len(placed) < n_sites:
        pa, pb, _ = cands[int(rng.choice(len(cands), p=weights / weights.sum()))]
        d = pb - pa
        normal = np.array([-d[1], d[0]]) / np.linalg.norm(d)
        side = 1.0 if rng.random() < 0.5 else -1.0
        p = pa + d * rng.uniform(0.2, 0.8) + normal * side * rng.uniform(3.5, 7.0)
        if all(np.linalg.norm(p - q) > 15.0 for q in placed):
            placed.append(p)
    sizes = rng.choice([2, 3, 4, 4, 5, 6, 6, 6, 8, 8, 10, 12], size=n_sites)
    armrest = set(rng.choice(n_sites, size=round(0.4 * n_sites), replace=False).tolist())
    charging = set(rng.choice(n_sites, size=round(0.15 * n_sites), replace=False).tolist())
    return [
        {
            "id": f"SEAT{n + 1:03d}",
            "name": f"示范座椅{n + 1:03d} Demo Bench {n + 1:03d}",
            "seats": int(sizes[n]),
            "armrest": n in armrest,
            "charging": n in charging,
            "geometry": Point(round(float(p[0]), 3), round(float(p[1]), 3)),
        }
        for n, p in enumerate(placed)
    ]
