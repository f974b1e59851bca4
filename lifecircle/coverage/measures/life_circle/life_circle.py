"""Is every grid a complete 15-minute life circle? Walking distance to each required service.

A planning standard (a :class:`~lifecircle.coverage.presets.ServiceCatalogue`, e.g.
``"gb50180_2018"``) lists the services a residential area must reach and how far residents
may walk to each: the category's own distance, else its life-circle tier's (300 m for the
5-minute tier of GB 50180-2018, 500 m for the 10-minute, 1,000 m for the 15-minute). The
standards give **metres**, so distances here are metres along the walking network with
every time penalty off (:meth:`WalkNetwork.without_penalties`), routed with a 1 m/s profile
so that the routing's seconds are metres.

For every demand point (:mod:`~lifecircle.coverage.measures.demand`: buildings or a lattice
weighted by population) and every category: the walking distance to the nearest facility
of that category (``inf`` beyond twice the limit). Then, per grid:

``share_<code>``
    the share of residents within the category's limit (leaf grids: weighted over their
    demand points; parents: :func:`~lifecircle.geo.hierarchy.roll_up`, weighted by
    residents);
``met_<code>``
    ``share_<code> >= met_share``. The default ``met_share`` of 0.9 is the same choice as
    :func:`~lifecircle.coverage.compute_coverage`'s ``target_share`` (a planning choice,
    not a figure of the standards; Shanghai's 2035 master plan aims at 99 % for its
    15-minute walking coverage);
``completeness``
    the share of the evaluated categories the grid meets (1 = a complete life circle);
``missing``, ``missing_zh``, ``missing_en``
    the categories not met, by code and by name, in the catalogue's order;
``resident_completeness``
    the mean, over residents, of the share of categories each reaches within its limit —
    the per-resident view that the equity indices describe.

A facility counts for its own category only: a community health centre does not stand in
for a health station (put a site with two services on two rows). Categories whose limit
the preset leaves unset (``unsourced``) are not evaluated and are listed in
``result.categories`` (set one with :meth:`ServiceCatalogue.with_walk_m`). With
``include_elderly`` the elderly layer's care homes, day-care centres and life centres count
for ``elderly_care_home``, ``elderly_day_care`` and ``elderly_service_centre``.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from lifecircle.coverage.measures.demand import demand_from_layers, leaf_grid_ids
from lifecircle.coverage.measures.life_circle.equity import EquitySummary, equity_summary
from lifecircle.coverage.measures.life_circle.facility_supply import facility_table
from lifecircle.coverage.measures.life_circle.life_circle_result import LifeCircleResult
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.options import DEFAULT_TARGET_SHARE
from lifecircle.coverage.presets import ServiceCatalogue, load_preset
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.coverage.routing.snap import check_snapped, snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.travel_times import nearest_facility, seconds_to_points
from lifecircle.errors import CoordinateWarning, LayerError, LifecircleWarning
from lifecircle.geo.datum_slips import warn_datum_slips
from lifecircle.geo.hierarchy import roll_up
from lifecircle.options import check_flag, check_number, check_text, with_overrides
from lifecircle.typing import FloatArray

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = [
    "LifeCircleOptions",
    "compute_life_circle",
    "equity_of_points",
    "older_residents_per_point",
]

logger = logging.getLogger(__name__)

#: Distances are reported up to this multiple of a category's limit (``inf`` beyond).
SEARCH_FACTOR = 2.0
#: Routing in metres: 1 m/s and no penalties, so the split graph's seconds are metres.
METRES = WalkProfile("metres", 1.0)


@dataclass(frozen=True, kw_only=True)
class LifeCircleOptions:
    """How :func:`compute_life_circle` judges the grids, checked once (``__post_init__``).

    Parameters
    ----------
    met_share : float, default 0.9
        A grid meets a category when at least this share of its residents is within the
        category's walking limit (:data:`~lifecircle.coverage.options.DEFAULT_TARGET_SHARE`,
        the share ``compute_coverage`` judges grids by).
    max_snap_m : float, default 100
        Points farther from every street are unreachable.
    spacing_m : float, default 25
        Demand lattice spacing when there is no buildings layer.
    include_elderly : bool, default True
        Count the elderly layer's facilities for the elderly categories
        (:data:`~lifecircle.coverage.measures.life_circle.facility_supply.ELDERLY_AS_CATEGORY`).
    older_residents : str, optional
        A grids column with the older residents of each grid (e.g. ``"老年人口"``), for
        the share of older residents among the worst served. The canonical grids schema
        has none; without it the equity section describes all residents.

    Raises
    ------
    lifecircle.errors.OptionError
        For a share outside [0, 1] or a distance that is not a finite number > 0.
    lifecircle.errors.OptionTypeError
        For a value of the wrong type.
    """

    met_share: float = DEFAULT_TARGET_SHARE
    max_snap_m: float = 100.0
    spacing_m: float = 25.0
    include_elderly: bool = True
    older_residents: str | None = None

    def __post_init__(self) -> None:
        share = check_number("met_share", self.met_share, allow_zero=True, at_most=1)
        object.__setattr__(self, "met_share", share)
        for name in ("max_snap_m", "spacing_m"):
            object.__setattr__(self, name, check_number(name, getattr(self, name)))
        object.__setattr__(
            self, "include_elderly", check_flag("include_elderly", self.include_elderly)
        )
        object.__setattr__(
            self, "older_residents", check_text("older_residents", self.older_residents)
        )


def compute_life_circle(
    layers: Layers,
    network: WalkNetwork,
    *,
    catalogue: ServiceCatalogue | str = "gb50180_2018",
    facilities: gpd.GeoDataFrame | None = None,
    options: LifeCircleOptions | None = None,
    **overrides: object,
) -> LifeCircleResult:
    """Evaluate every grid against a planning standard's service catalogue.

    Parameters
    ----------
    layers : lifecircle.geo.Layers
        Needs ``grids``; ``facilities`` (unless given here), ``elderly`` and ``buildings``
        are used when present.
    network : WalkNetwork
        The walking network (its penalties are ignored: distances are metres).
    catalogue : ServiceCatalogue or str, default "gb50180_2018"
        A catalogue or a preset name (:func:`~lifecircle.coverage.presets.preset_names`).
    facilities : geopandas.GeoDataFrame, optional
        A facilities layer (``id, name, category``; see
        :func:`lifecircle.geo.io.read_facilities`); default ``layers.facilities``.
    options : LifeCircleOptions, optional
        The share that meets a category, distances, and whether the elderly layer counts
        (default ``LifeCircleOptions()``).
    **overrides
        Any option of :class:`LifeCircleOptions` by name (``met_share``, ``max_snap_m``,
        ``spacing_m``, ``include_elderly``, ``older_residents``), applied on top of
        ``options``.

    Returns
    -------
    LifeCircleResult

    Examples
    --------
    >>> result = compute_life_circle(load_demo_layers(), load_demo_network())  # doctest: +SKIP
    >>> result.grid_table("microgrid")[["id", "completeness", "missing_zh"]]  # doctest: +SKIP
    """
    opts = with_overrides(
        options, overrides, kind=LifeCircleOptions, function="compute_life_circle"
    )  # every option checked before any work
    if not isinstance(network, WalkNetwork):
        raise TypeError(f"network must be a WalkNetwork, got {type(network).__name__}")
    if not isinstance(getattr(layers, "grids", None), gpd.GeoDataFrame):
        raise TypeError(f"layers must be a Layers object with grids, got {type(layers).__name__}")
    cat = load_preset(catalogue) if isinstance(catalogue, str) else catalogue
    if not isinstance(cat, ServiceCatalogue):
        raise TypeError(f"catalogue must be a ServiceCatalogue or preset name, got {cat!r}")
    limits = {c: cat.walk_limit_m(c) for c in cat.codes}
    evaluated = [c for c in cat.codes if limits[c] is not None]
    source = facilities if facilities is not None else getattr(layers, "facilities", None)
    facs = facility_table(layers, source, crs=network.crs, include_elderly=opts.include_elderly)
    _warn_empty(facs, evaluated, cat)
    metres_net = network.without_penalties()
    warn_datum_slips(layers, network.edges.geometry.to_numpy(), reference_crs=network.crs)
    demand = demand_from_layers(
        layers.grids,
        crs=network.crs,
        buildings=getattr(layers, "buildings", None),
        spacing_m=opts.spacing_m,
    )
    d_snap = snap_points(metres_net, demand, max_snap_m=opts.max_snap_m)
    f_snap = snap_points(metres_net, facs, max_snap_m=opts.max_snap_m)
    far = check_snapped(d_snap, f_snap, services=facs["category"], max_snap_m=opts.max_snap_m)
    if far:
        warnings.warn(far, CoordinateWarning, stacklevel=2)
    graph = build_split_graph(metres_net, f_snap, profile=METRES)
    ids = np.array([*facs["id"], None], dtype=object)  # -1: unreachable
    reached = np.zeros(len(demand))
    for code in evaluated:
        limit = float(limits[code])  # type: ignore[arg-type]
        rows = np.flatnonzero(facs["category"].to_numpy() == code)
        nearest = nearest_facility(graph, facilities=rows, limit_s=SEARCH_FACTOR * limit)
        metres, fac = seconds_to_points(graph, nearest, d_snap)
        demand[f"metres_{code}"] = metres
        demand[f"facility_{code}"] = ids[fac]
        reached += metres <= limit
    demand["resident_completeness"] = reached / len(evaluated) if evaluated else np.nan
    grids = _grid_table(layers.grids, demand, cat, evaluated, limits, opts.met_share)
    categories = _category_table(cat, limits, facs, demand)
    equity = equity_of_points(layers.grids, demand, "resident_completeness", opts.older_residents)
    params = {
        "preset": cat.name,
        "document": cat.document,
        "met_share": opts.met_share,
        "max_snap_m": opts.max_snap_m,
        "spacing_m": opts.spacing_m,
        "include_elderly": opts.include_elderly,
        "older_residents": opts.older_residents,
        "network": repr(network),
        "weight_kind": ",".join(sorted(set(demand["weight_kind"]))),
    }
    facs = facs.assign(snap_m=f_snap["snap_m"].to_numpy(), snapped=f_snap["snapped"].to_numpy())
    return LifeCircleResult(
        cat, grids, categories, demand.to_crs(4326), facs.to_crs(4326), equity, params
    )


def _warn_empty(facs: gpd.GeoDataFrame, evaluated: list[str], cat: ServiceCatalogue) -> None:
    present = set(facs["category"])
    absent = [c for c in evaluated if c not in present]
    if absent:
        names = ", ".join(f"{c} ({cat.category(c).name_zh})" for c in absent)
        warnings.warn(
            f"no facility of {len(absent)} required categories: {names}; every grid misses "
            "them (add them to the facilities layer if they exist)",
            LifecircleWarning,
            stacklevel=3,
        )


def _grid_table(
    grids: gpd.GeoDataFrame,
    demand: pd.DataFrame,
    cat: ServiceCatalogue,
    evaluated: list[str],
    limits: Mapping[str, float | None],
    met_share: float,
) -> gpd.GeoDataFrame:
    out = grids.assign(id=grids["id"].astype(str)).to_crs(4326)
    out["parent_id"] = [None if pd.isna(p) else str(p) for p in out["parent_id"]]
    leaf_ids = leaf_grid_ids(out)
    out["is_leaf"] = out["id"].isin(leaf_ids)
    weight = demand["weight"].to_numpy(dtype=float)
    by = demand["grid_id"].to_numpy()
    values = pd.DataFrame(index=pd.Index(leaf_ids, name="id"))
    values["weight"] = pd.Series(weight).groupby(by).sum().reindex(leaf_ids).fillna(0.0)
    has_weight = values["weight"].to_numpy() > 0
    columns = [f"share_{c}" for c in evaluated] + ["resident_completeness"]
    for code in evaluated:
        ok = demand[f"metres_{code}"].to_numpy() <= float(limits[code])  # type: ignore[arg-type]
        within = pd.Series(np.where(ok, weight, 0.0)).groupby(by).sum().reindex(leaf_ids)
        values[f"share_{code}"] = np.where(
            has_weight, within.fillna(0.0) / values["weight"].where(has_weight, 1.0), np.nan
        )
    point_score = demand["resident_completeness"].to_numpy(dtype=float) * weight
    scored = pd.Series(point_score).groupby(by).sum().reindex(leaf_ids).fillna(0.0)
    values["resident_completeness"] = np.where(
        has_weight, scored / values["weight"].where(has_weight, 1.0), np.nan
    )
    rolled = roll_up(out, values, weight="weight", columns=columns)
    rolled.index = rolled.index.astype(str)
    out["weight"] = out["id"].map(rolled["weight"]).fillna(0.0).to_numpy()
    met = []
    for code in evaluated:
        share = np.clip(out["id"].map(rolled[f"share_{code}"]).to_numpy(float), 0, 1)
        out[f"share_{code}"] = share
        out[f"met_{code}"] = share >= met_share  # NaN (no residents) -> False
        met.append(out[f"met_{code}"].to_numpy(dtype=bool))
    populated = out["weight"].to_numpy() > 0
    n_met = np.sum(met, axis=0) if met else np.zeros(len(out), dtype=int)
    out["n_met"] = np.where(populated, n_met, 0).astype(int)
    out["n_evaluated"] = len(evaluated)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["completeness"] = np.where(populated, n_met / max(len(evaluated), 1), np.nan)
    if not evaluated:
        out["completeness"] = np.nan
    out["resident_completeness"] = out["id"].map(rolled["resident_completeness"]).to_numpy(float)
    names = {c: cat.category(c) for c in evaluated}
    met_matrix = np.column_stack(met) if met else np.zeros((len(out), 0), dtype=bool)
    lacking = [
        [evaluated[j] for j in np.flatnonzero(~row)] if pop else []
        for row, pop in zip(met_matrix, populated, strict=True)
    ]
    out["missing"] = [",".join(x) for x in lacking]
    out["missing_zh"] = ["、".join(names[c].name_zh for c in x) for x in lacking]
    out["missing_en"] = [", ".join(names[c].name_en for c in x) for x in lacking]
    base = ("id", "name", "level", "parent_id", "kind", "is_leaf", "weight")
    keep = [c for c in base if c in out]
    per_category = [col for c in evaluated for col in (f"share_{c}", f"met_{c}")]
    tail = ["completeness", "n_met", "n_evaluated", "resident_completeness"]
    tail += ["missing", "missing_zh", "missing_en"]
    return out[[*keep, *per_category, *tail, "geometry"]].reset_index(drop=True)


def _category_table(
    cat: ServiceCatalogue,
    limits: Mapping[str, float | None],
    facs: pd.DataFrame,
    demand: pd.DataFrame,
) -> pd.DataFrame:
    weight = demand["weight"].to_numpy(dtype=float)
    total = float(weight.sum())
    rows = []
    for category in cat.categories:
        code = category.code
        limit = limits[code]
        from_ = None if limit is None else "category" if category.max_walk_m else "tier"
        share = float("nan")
        if limit is not None and total > 0:
            share = float(weight[demand[f"metres_{code}"].to_numpy() <= limit].sum()) / total
        note = category.note
        if limit is None:
            note = "not evaluated: the preset leaves its walking limit unset; set one with "
            note += f"catalogue.with_walk_m({code!r}, metres, source=...)"
        rows.append(
            {
                "code": code,
                "name_zh": category.name_zh,
                "name_en": category.name_en,
                "tier": category.tier,
                "limit_m": math.nan if limit is None else float(limit),
                "limit_from": from_,
                "evaluated": limit is not None,
                "n_facilities": int((facs["category"] == code).sum()),
                "share": share,
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def older_residents_per_point(grids: pd.DataFrame, demand: pd.DataFrame, column: str) -> FloatArray:
    """Older residents per demand point: the point's weight times its grid's older share.

    Parameters
    ----------
    grids : pandas.DataFrame
        Grids with ``population`` and the ``column`` of older residents.
    demand : pandas.DataFrame
        Demand points (``grid_id``, ``weight``).
    column : str
        The older-residents column of the grids.

    Raises
    ------
    LayerError
        When the grids lack the column or a value is not a number within
        ``[0, population]``.
    """
    if column not in grids.columns:
        raise LayerError(
            "grids",
            [
                f"no column {column!r} for older residents; the grids have "
                f"{', '.join(map(str, grids.columns.drop('geometry', errors='ignore')))}"
            ],
        )
    older = pd.to_numeric(grids[column], errors="coerce").to_numpy(dtype=float)
    population = pd.to_numeric(grids["population"], errors="coerce").to_numpy(dtype=float)
    ceiling = np.where(np.isfinite(population), population, np.inf)
    bad = ~np.isfinite(older) | (older < 0) | ~(older <= ceiling)
    ids = grids["id"].astype(str).to_numpy()
    leaves = set(demand["grid_id"].astype(str))
    bad_leaves = [i for i, b in zip(ids, bad, strict=True) if b and i in leaves]
    if bad_leaves:
        raise LayerError(
            "grids",
            [
                f"column {column!r} must be a number from 0 to the population; "
                f"bad in {bad_leaves[:5]}"
            ],
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = pd.Series(np.where(population > 0, older / population, 0.0), index=ids)
    per_point = np.asarray(demand["grid_id"].astype(str).map(share).fillna(0.0), dtype=np.float64)
    weight = np.asarray(demand["weight"], dtype=np.float64)
    return np.asarray(np.clip(per_point, 0.0, 1.0) * weight, dtype=np.float64)


def equity_of_points(
    grids: pd.DataFrame, demand: pd.DataFrame, column: str, older: str | None
) -> EquitySummary:
    """Equity of the demand points' ``column`` across residents (points with residents).

    With ``older`` (a grids column), also the share of older residents among the
    worst-served decile (:func:`older_residents_per_point`); else the note says it is not
    available.
    """
    weight = demand["weight"].to_numpy(dtype=float)
    access = demand[column].to_numpy(dtype=float)
    keep = (weight > 0) & np.isfinite(access)
    if not keep.any():
        raise LayerError("grids", ["no residents: every demand point has weight 0"])
    if older is None:
        note = (
            "older residents: not available (the grids layer has no older-residents column; "
            "name one with older_residents=); all residents are described"
        )
        return equity_summary(access[keep], weights=weight[keep], note=note)
    subgroup = older_residents_per_point(grids, demand, older)[keep]
    note = f"older residents from the grids column {older!r}, spread like all residents"
    return equity_summary(access[keep], weights=weight[keep], subgroup=subgroup, note=note)
