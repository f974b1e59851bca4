"""The party-building grid hierarchy: checks, leaves, ancestors and weighted roll-ups.

Grids form a tree through ``parent_id``: a subdistrict (街道) contains areas (居民区 /
商务区), which contain micro-grids (微网格). The root may be absent; then the areas
(or, for a flat layer, the micro-grids) are the roots. Leaf grids are the ones no
other grid names as parent; coverage is computed on leaves and rolled up with
:func:`roll_up`.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lifecircle.errors import LayerError

__all__ = [
    "LEVEL_RANK",
    "ancestors",
    "hierarchy_problems",
    "leaf_grids",
    "roll_up",
    "validate_hierarchy",
]

#: Rank of each grid level; a parent must have a smaller rank than its children.
LEVEL_RANK: dict[str, int] = {"subdistrict": 0, "area": 1, "microgrid": 2}
_MAX_LISTED = 5


def _parent_map(grids: pd.DataFrame) -> dict[str, str | None]:
    parents = grids["parent_id"] if "parent_id" in grids.columns else [None] * len(grids)
    return {
        str(i): (None if p is None or (isinstance(p, float) and np.isnan(p)) else str(p))
        for i, p in zip(grids["id"], parents, strict=True)
    }


def _listed(items: Sequence[str]) -> str:
    more = f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else ""
    return ", ".join(items[:_MAX_LISTED]) + more


def ancestors(grids: pd.DataFrame) -> dict[str, list[str]]:
    """Map every grid id to its ancestors, nearest first (``[]`` for roots).

    Parameters
    ----------
    grids : DataFrame
        With columns ``id`` and ``parent_id``.

    Returns
    -------
    dict
        ``{"A01-1": ["A01", "S"], "A01": ["S"], "S": []}``. A walk stops at an unknown
        parent or when it would repeat a grid (a cycle).
    """
    parent = _parent_map(grids)
    out: dict[str, list[str]] = {}
    for gid in parent:
        chain: list[str] = []
        seen = {gid}
        current = parent[gid]
        while current is not None and current in parent and current not in seen:
            chain.append(current)
            seen.add(current)
            current = parent[current]
        out[gid] = chain
    return out


def leaf_grids(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the grids that no other grid names as its parent (in input order)."""
    parents = set(p for p in _parent_map(grids).values() if p is not None)
    return grids[~grids["id"].astype(str).isin(parents)]


def _tree_problems(grids: pd.DataFrame) -> list[str]:
    """Unknown parents, cycles, level order and roots."""
    parent = _parent_map(grids)
    level = dict(zip(grids["id"].astype(str), grids["level"], strict=True))
    problems = []
    unknown = [f"{g!r} -> {p!r}" for g, p in parent.items() if p is not None and p not in parent]
    if unknown:
        problems.append(
            f"parent_id names grids that do not exist: {_listed(unknown)}; "
            "expected the id of another grid or a blank cell"
        )
    cycles: set[tuple[str, ...]] = set()
    for gid in parent:
        path: list[str] = []
        current: str | None = gid
        while current is not None and current in parent and current not in path:
            path.append(current)
            current = parent[current]
        if current is not None and current in path:
            loop = path[path.index(current) :]
            start = loop.index(min(loop))
            cycles.add(tuple(loop[start:] + loop[:start]))
    for cycle in sorted(cycles):
        problems.append(f"parent_id forms a cycle: {' -> '.join((*cycle, cycle[0]))}")
    wrong = [
        f"{g!r} ({level[g]}) under {p!r} ({level[p]})"
        for g, p in parent.items()
        if p in parent and LEVEL_RANK.get(level[g], 99) <= LEVEL_RANK.get(level[p], 99)
    ]
    if wrong:
        problems.append(
            f"grids sit under a parent of the same or a lower level: {_listed(wrong)};"
            " expected subdistrict > area > microgrid"
        )
    problems += _root_problems(parent, level)
    return problems


def _root_problems(parent: dict[str, str | None], level: dict[str, str]) -> list[str]:
    ranks = [LEVEL_RANK[lv] for lv in level.values() if lv in LEVEL_RANK]
    if not ranks:
        return []
    top = min(ranks)
    problems = []
    subdistricts = [g for g, lv in level.items() if lv == "subdistrict"]
    if len(subdistricts) > 1:
        problems.append(
            f"{len(subdistricts)} subdistrict grids ({_listed(subdistricts)}); "
            "expected at most one root subdistrict"
        )
    orphans = [
        f"{g!r} ({level[g]})"
        for g, p in parent.items()
        if p is None and LEVEL_RANK.get(level[g], top) > top
    ]
    if orphans:
        top_name = next(k for k, v in LEVEL_RANK.items() if v == top)
        problems.append(
            f"grids without parent_id below the top level ({top_name}): "
            f"{_listed(orphans)}; expected a parent_id"
        )
    return problems


def _geometry_problems(
    grids: gpd.GeoDataFrame, tolerance_m: float, max_overlap_share: float
) -> list[str]:
    """Children inside parents, siblings not overlapping (in a metric CRS)."""
    from lifecircle.geo.crs import utm_crs_for

    has_geom = grids.geometry.notna().to_numpy() & ~grids.geometry.is_empty.to_numpy()
    if not has_geom.any():
        return []
    metric = grids.geometry.to_crs(utm_crs_for(grids[has_geom]))
    geom = dict(zip(grids["id"].astype(str), metric.to_numpy(), strict=True))
    parent = _parent_map(grids)
    outside = []
    for gid, pid in parent.items():
        child, mother = geom[gid], geom.get(pid) if pid is not None else None
        if child is None or mother is None or child.is_empty or mother.is_empty:
            continue
        out_m2 = shapely.area(shapely.difference(child, shapely.buffer(mother, tolerance_m)))
        if out_m2 > 1.0:
            share = out_m2 / max(child.area, 1e-9)
            outside.append(f"{gid!r} has {share:.0%} ({out_m2:,.0f} m²) outside {pid!r}")
    problems = []
    if outside:
        problems.append(
            f"grids extend beyond their parent by more than {tolerance_m:g} m: {_listed(outside)}"
        )
    level = dict(zip(grids["id"].astype(str), grids["level"], strict=True))
    overlaps = _sibling_overlaps(parent, geom, level, max_overlap_share)
    if overlaps:
        problems.append(
            f"sibling grids overlap by more than {max_overlap_share:.0%} of the "
            f"smaller one: {_listed(overlaps)}"
        )
    return problems


def _sibling_overlaps(
    parent: dict[str, str | None],
    geom: dict[str, shapely.Geometry],
    level: dict[str, str],
    max_overlap_share: float,
) -> list[str]:
    """Overlapping grids with the same parent and level (roots are siblings too)."""
    groups: dict[tuple[str | None, str], list[str]] = {}
    for gid, pid in parent.items():
        if geom[gid] is not None and not geom[gid].is_empty:
            groups.setdefault((pid, level[gid]), []).append(gid)
    found = []
    for members in groups.values():
        shapes = np.array([geom[g] for g in members], dtype=object)
        left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i >= j:
                continue
            shared = shapely.area(shapely.intersection(shapes[i], shapes[j]))
            smaller = min(shapes[i].area, shapes[j].area)
            if smaller > 0 and shared / smaller > max_overlap_share:
                found.append(f"{members[i]!r} and {members[j]!r} ({shared / smaller:.0%})")
    return found


def hierarchy_problems(
    grids: gpd.GeoDataFrame, *, tolerance_m: float = 5.0, max_overlap_share: float = 0.01
) -> list[str]:
    """Return every hierarchy problem of ``grids`` as sentences (see :func:`validate_hierarchy`)."""
    problems = _tree_problems(grids)
    if isinstance(grids, gpd.GeoDataFrame) and len(grids):
        problems += _geometry_problems(grids, tolerance_m, max_overlap_share)
    return problems


def validate_hierarchy(
    grids: gpd.GeoDataFrame,
    *,
    source: str = "<grids>",
    tolerance_m: float = 5.0,
    max_overlap_share: float = 0.01,
) -> None:
    """Check that the grids form a consistent tree.

    Checks: every ``parent_id`` names an existing grid; no cycles; a parent is of a
    higher level (subdistrict > area > microgrid); at most one subdistrict; every grid
    below the top level present has a parent; each child lies inside its parent
    (tolerating ``tolerance_m`` metres of digitising slack, measured in the local UTM
    zone); siblings overlap by at most ``max_overlap_share`` of the smaller one's area.

    Parameters
    ----------
    grids : geopandas.GeoDataFrame
        Canonical grids layer in EPSG:4326 (as returned by
        :func:`~lifecircle.geo.io.read_grids`).
    source : str
        Name used in the error message.
    tolerance_m : float
        Distance a child may stick out of its parent.
    max_overlap_share : float
        Largest allowed overlap between siblings, as a share of the smaller area.

    Raises
    ------
    lifecircle.errors.LayerError
        Listing every problem.
    """
    problems = hierarchy_problems(
        grids, tolerance_m=tolerance_m, max_overlap_share=max_overlap_share
    )
    if problems:
        raise LayerError(source, problems)


def roll_up(
    grids: pd.DataFrame,
    values: pd.DataFrame,
    *,
    weight: str = "population",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Aggregate leaf-grid values up the hierarchy as weighted means.

    Parameters
    ----------
    grids : DataFrame
        The grids layer (columns ``id`` and ``parent_id``).
    values : DataFrame
        Indexed by leaf grid id, with the ``weight`` column and the value columns.
        Leaves missing from ``values`` contribute nothing.
    weight : str
        Column of non-negative weights (e.g. residents, elderly residents).
    columns : sequence of str, optional
        Value columns to roll up (default: every numeric column except ``weight``).

    Returns
    -------
    DataFrame
        Indexed by grid id, one row per grid (in ``grids`` order): ``weight`` is the sum
        over the grid's leaves, each value column the ``weight``-weighted mean over the
        leaves where it is not NaN (NaN when that weight is 0). A leaf's row equals its
        own values.

    Raises
    ------
    lifecircle.errors.LayerError
        When ``values`` has ids that are not leaf grids, lacks a column, or has a
        negative weight.
    """
    if weight not in values.columns:
        raise LayerError(
            "<values>",
            [f"no weight column {weight!r}; columns are {', '.join(map(str, values.columns))}"],
        )
    if columns is None:
        columns = [c for c in values.select_dtypes("number").columns if c != weight]
    missing = [c for c in columns if c not in values.columns]
    leaves = set(leaf_grids(grids)["id"].astype(str))
    index = values.index.astype(str)
    problems = []
    if missing:
        problems.append(f"value columns not found: {', '.join(map(str, missing))}")
    strays = sorted(set(index) - leaves)
    if strays:
        problems.append(f"ids that are not leaf grids: {_listed([repr(s) for s in strays])}")
    weights = pd.to_numeric(values[weight], errors="coerce").fillna(0.0).to_numpy(float)
    if (weights < 0).any():
        problems.append(f"negative values in the weight column {weight!r}")
    if problems:
        raise LayerError("<values>", problems)
    scale = weights.max() if len(weights) and weights.max() > 0 else 1.0
    unit = weights / scale  # a weighted mean is scale-free; this avoids float underflow
    chains = ancestors(grids)
    member = [(g, pos) for pos, leaf in enumerate(index) for g in (leaf, *chains[leaf])]
    groups = pd.Index([g for g, _ in member], name="id")
    rows = np.array([pos for _, pos in member], dtype=int)
    w = pd.Series(unit[rows], index=groups)
    out = pd.DataFrame({weight: pd.Series(weights[rows], index=groups).groupby(level=0).sum()})
    for col in columns:
        v = pd.Series(
            pd.to_numeric(values[col], errors="coerce").to_numpy(float)[rows], index=groups
        )
        w_used = w.where(v.notna(), 0.0)
        total = w_used.groupby(level=0).sum()
        out[col] = (w_used * v.fillna(0.0)).groupby(level=0).sum() / total.where(total > 0)
    ids = pd.Index(grids["id"].astype(str), name="id")
    out = out.reindex(ids)
    out[weight] = out[weight].fillna(0.0)
    return out
