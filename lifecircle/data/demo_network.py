"""Walkable ways of the synthetic demo district (streets, lanes, park, expressway).

Part of the generator :mod:`lifecircle.data.make_demo`. Ways are lists of node keys
(quantised lattice coordinates) so that shared nodes are bit-identical.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from lifecircle.data.demo_lattice import (
    CN_NUM,
    COURTYARD_CELL,
    N_CU,
    N_CV,
    PARK_BLOCK,
    PRIVATE_CELL,
    RAMP_CELL,
    WALK_TAGS,
    Cell,
    Key,
    Lattice,
    Record,
    Tags,
    Way,
    block_code,
    cell_exists,
    k_,
    to_cell,
)


def street_tags(axis: str, line: int, k: int) -> Tags | None:
    """OSM-like tags of the street unit edge ``k`` on an even lattice line (None if absent)."""
    # axis "v": north-south line u = line, edge from v = k to k + 1; "u": east-west line
    sides = [(line - 1, k), (line, k)] if axis == "v" else [(k, line - 1), (k, line)]
    if not any(0 <= a < N_CU and 0 <= b < N_CV and cell_exists(a, b) for a, b in sides):
        return None
    n = line // 2 + 1
    if axis == "v":
        tags = {"highway": "residential", "name": f"示范{CN_NUM[n - 1]}路 Demo Road {n}"}
        if line == 8:
            tags = {"highway": "primary", "name": "示范大道 Demo Avenue"}
        elif line in (0, 14):
            tags["highway"] = "secondary"
        elif line in (4, 12):
            tags.update(highway="tertiary", oneway="yes")
        elif line == 6 and 4 <= k < 8:
            tags = {"highway": "pedestrian", "name": "示范步行街 Demo Pedestrian Street"}
        elif line == 10 and k >= 8:
            tags["highway"] = "living_street"
    else:
        tags = {"highway": "residential", "name": f"示范{CN_NUM[n - 1]}街 Demo Street {n}"}
        if line == 6:
            tags = {"highway": "primary", "name": "示范中路 Demo Central Road", "oneway": "yes"}
        elif line in (0, 12):
            tags["highway"] = "secondary"
        elif line in (2, 10):
            tags["highway"] = "tertiary"
        elif line == 8 and k < 4:
            tags["highway"] = "living_street"
    return tags


def street_ways() -> list[Way]:
    """Streets along the even lattice lines as runs of equally tagged unit edges."""
    ways: list[Way] = []
    for axis, n_lines, n_edges in (("v", N_CU, N_CV), ("u", N_CV, N_CU)):
        for line in range(0, n_lines + 1, 2):
            run: list[Key] = []
            run_tags: Tags | None = None
            for k in range(n_edges + 1):
                tags = street_tags(axis, line, k) if k < n_edges else None
                if tags != run_tags and run_tags is not None:
                    ways.append((run, run_tags))
                    run = []
                if tags is not None:
                    pts = (
                        [(line, k), (line, k + 0.5), (line, k + 1)]
                        if axis == "v"
                        else [(k, line), (k + 0.5, line), (k + 1, line)]
                    )
                    run = [*run[:-1], *(k_(*p) for p in pts)] if run else [k_(*p) for p in pts]
                run_tags = tags
    return ways


def lane_name(cu: int, cv: int, side: str, number_seed: int) -> str:
    """Fictional lane name such as ``示范三路123弄 Lane 123, Demo Road 3``."""
    if side in "LR":
        line = cu if side == "L" else cu + 1
        tags = street_tags("v", line, cv)
        number = cv * 24 + 2 * number_seed + (1 if side == "R" else 2)
    else:
        line = cv if side == "B" else cv + 1
        tags = street_tags("u", line, cu)
        number = cu * 24 + 2 * number_seed + (1 if side == "T" else 2)
    if tags is None:
        raise RuntimeError(f"cell {(cu, cv)} has no street on side {side}")
    zh, en = tags["name"].split(" ", 1)
    return f"{zh}{number}弄 Lane {number}, {en}"


def cell_side(cu: int, cv: int, rng: np.random.Generator) -> str:
    """Pick the entry side among the cell's two street sides."""
    return str(rng.choice(["L" if cu % 2 == 0 else "R", "B" if cv % 2 == 0 else "T"]))


def lane_ways(cu: int, cv: int, side: str, rng: np.random.Generator) -> list[Way]:
    """The lane system of one cell: a main lane with branch lanes."""
    commercial = block_code(cu // 2, cv // 2).isdigit()
    base = {
        "highway": "service" if commercial else "footway",
        "name": lane_name(cu, cv, side, int(rng.integers(0, 12))),
    }
    if (cu, cv) == PRIVATE_CELL:
        base["access"] = "private"
    main = [to_cell(cu, cv, side, 0.5, t) for t in (0.0, 0.25, 0.5, 0.75, 0.88)]
    ways = [(main, dict(base))]
    p_branch = 0.6 if commercial else 0.9
    for t in (0.25, 0.5, 0.75):
        for s_end in (0.12, 0.88):
            if rng.random() < p_branch:
                tags = {"highway": "footway"} | {k: v for k, v in base.items() if k == "access"}
                if rng.random() < 0.012:
                    tags["highway"] = "steps"
                ways.append(
                    ([to_cell(cu, cv, side, 0.5, t), to_cell(cu, cv, side, s_end, t)], tags)
                )
    if (cu, cv) == RAMP_CELL:
        ramp = [to_cell(cu, cv, side, 0.5, 0.88), to_cell(cu, cv, side, 0.5, 0.96)]
        ways.append(
            (
                ramp,
                {"highway": "service", "name": "示范广场地库坡道 Demo garage ramp", "foot": "no"},
            )
        )
    return ways


def courtyard_ways(cu: int, cv: int) -> list[Way]:
    """An H-shaped courtyard path system that touches no street (disconnected on purpose)."""
    tags = {"highway": "footway", "name": "示范里内院 Demo Courtyard"}
    return [
        ([k_(cu + 0.12, cv + 0.25), k_(cu + 0.5, cv + 0.25), k_(cu + 0.88, cv + 0.25)], tags),
        ([k_(cu + 0.12, cv + 0.75), k_(cu + 0.5, cv + 0.75), k_(cu + 0.88, cv + 0.75)], tags),
        ([k_(cu + 0.5, cv + 0.25), k_(cu + 0.5, cv + 0.5), k_(cu + 0.5, cv + 0.75)], tags),
    ]


def park_ways() -> list[Way]:
    """Paths of the demo park filling one block: a ring, four entries, diagonals, steps."""
    u0, v0 = 2 * PARK_BLOCK[0], 2 * PARK_BLOCK[1]
    ring = [
        (0.3, 0.3),
        (1.0, 0.3),
        (1.7, 0.3),
        (1.7, 1.0),
        (1.7, 1.7),
        (1.0, 1.7),
        (0.3, 1.7),
        (0.3, 1.0),
        (0.3, 0.3),
    ]
    loop = {"highway": "footway", "name": "示范公园环路 Demo Park Loop"}
    ways = [([k_(u0 + a, v0 + b) for a, b in ring], loop)]
    for a, b, c, d in (
        (1.0, 0.0, 1.0, 0.3),
        (1.0, 2.0, 1.0, 1.7),
        (0.0, 1.0, 0.3, 1.0),
        (2.0, 1.0, 1.7, 1.0),
    ):
        ways.append(([k_(u0 + a, v0 + b), k_(u0 + c, v0 + d)], {"highway": "path"}))
    for n, (a, b) in enumerate(((0.3, 0.3), (1.7, 0.3), (1.7, 1.7), (0.3, 1.7))):
        hw = "steps" if n == 2 else "path"
        ways.append(([k_(u0 + a, v0 + b), k_(u0 + 1, v0 + 1)], {"highway": hw}))
    return ways


def through_lanes(rng: np.random.Generator) -> list[Way]:
    """Lanes along the middle line of some blocks, joining two opposite streets."""
    ways = []
    for bx in range(7):
        for by in range(6):
            code = block_code(bx, by)
            if code == "." or (bx, by) == PARK_BLOCK or rng.random() > 0.6:
                continue
            u, v = 2 * bx + 1, 2 * by + 1
            if rng.random() < 0.5:
                pts = [k_(u, v - 1), k_(u, v - 0.5), k_(u, v), k_(u, v + 0.5), k_(u, v + 1)]
                name = lane_name(u - 1, v - 1, "B", 11)
            else:
                pts = [k_(u - 1, v), k_(u - 0.5, v), k_(u, v), k_(u + 0.5, v), k_(u + 1, v)]
                name = lane_name(u - 1, v - 1, "L", 11)
            ways.append(
                (pts, {"highway": "service" if code.isdigit() else "footway", "name": name})
            )
    return ways


def build_network(rng: np.random.Generator) -> tuple[list[Way], dict[Cell, str]]:
    """All walkable ways (unsplit) and the lane entry side of every cell."""
    ways = street_ways() + through_lanes(rng) + park_ways()
    sides: dict[Cell, str] = {}
    for cu in range(N_CU):
        for cv in range(N_CV):
            if not cell_exists(cu, cv) or (cu // 2, cv // 2) == PARK_BLOCK:
                continue
            if (cu, cv) == COURTYARD_CELL:
                ways += courtyard_ways(cu, cv)
                continue
            sides[(cu, cv)] = cell_side(cu, cv, rng)
            ways += lane_ways(cu, cv, sides[(cu, cv)], rng)
    return ways, sides


def split_ways(ways: list[Way]) -> list[Way]:
    """Split every way at junctions (vertices shared by other ways, or their endpoints)."""
    use: Counter[Key] = Counter()
    for pts, _ in ways:
        use.update(set(pts))
    ends = {p for pts, _ in ways for p in (pts[0], pts[-1])}
    out = []
    for pts, tags in ways:
        start = 0
        for i in range(1, len(pts)):
            if i == len(pts) - 1 or use[pts[i]] > 1 or pts[i] in ends:
                out.append((pts[start : i + 1], tags))
                start = i
    return out


def expressway(lat: Lattice) -> tuple[list[tuple[float, float]], Tags]:
    """The elevated expressway crossing the district (not walkable, no shared nodes)."""
    pts = [lat.metres(k_(9.3 + 0.06 * t, -1.5 + t)) for t in np.arange(0.0, 15.01, 2.5)]
    tags = {
        "highway": "trunk",
        "name": "示范高架路 Demo Elevated Expressway",
        "oneway": "no",
        "foot": "no",
        "bridge": "yes",
        "layer": "2",
        "motorroad": "yes",
    }
    return [(round(x, 3), round(y, 3)) for x, y in pts], tags


def network_records(lat: Lattice, ways: list[Way]) -> list[Record]:
    """Split ways plus the expressway as records with OSM-like tags."""
    out: list[Record] = []
    for pts, tags in [*split_ways(ways), expressway(lat)]:
        props = {"id": f"W{len(out) + 1:05d}"}
        props |= {k: tags[k] for k in WALK_TAGS if k in tags}
        out.append(props | {"geometry": pts})
    return out
