"""Coverage: can every resident of every grid walk to a service within the time budget?"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Mapping
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

# tqdm.auto draws a notebook widget in Jupyter, but without ipywidgets it warns "IProgress not
# found" on every bar: use the plain text bar there instead.
if find_spec("ipywidgets") is not None:
    from tqdm.auto import tqdm
else:
    from tqdm import tqdm

from lifecircle.coverage.areas.isochrones import isochrones_for_facilities
from lifecircle.coverage.measures.coverage_result import (
    CoverageResult,
    DemandPoints,
    IsochroneSource,
)
from lifecircle.coverage.measures.demand import demand_table, leaf_grid_ids
from lifecircle.coverage.network.extent import beyond_reach
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.options import CoverageOptions
from lifecircle.coverage.routing.snap import check_snapped, snap_coordinates, snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.travel_times import nearest_facility, seconds_to_points
from lifecircle.errors import CoordinateWarning, LifecircleWarning
from lifecircle.geo.datum_slips import warn_datum_slips
from lifecircle.geo.hierarchy import roll_up
from lifecircle.geo.schema import ELDERLY_TYPES
from lifecircle.options import with_overrides

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["compute_coverage", "default_services", "served_by_facility"]

logger = logging.getLogger(__name__)

ServiceSpec: TypeAlias = gpd.GeoDataFrame | tuple[str, ...] | list[str]

#: Minutes are reported up to this multiple of ``walk_minutes`` (``inf`` beyond).
SEARCH_FACTOR = 2.0


def default_services(layers: object = None) -> dict[str, tuple[str, ...]]:
    """Return the standard services as elderly ``type`` codes.

    ``elderly`` — every elderly service except assisted bathing (the stated target: every
    grid reaches an elderly service within 15 minutes); ``care`` — life centres, care homes
    and day care; ``bathing`` — assisted-bathing sites.
    """
    every = tuple(c.code for c in ELDERLY_TYPES if c.code != "bathing")
    return {
        "elderly": every,
        "care": ("life_centre", "care_home", "day_care"),
        "bathing": ("bathing",),
    }


def compute_coverage(
    layers: Layers,
    network: WalkNetwork,
    *,
    options: CoverageOptions | None = None,
    services: Mapping[str, ServiceSpec] | None = None,
    progress: bool | None = None,
    **overrides: object,
) -> CoverageResult:
    """Compute walking coverage of each grid for each service.

    Parameters
    ----------
    layers : lifecircle.geo.Layers
        Needs ``grids`` and ``elderly``; ``buildings`` (optional) gives demand points.
    network : WalkNetwork
        The walking network (metric CRS).
    options : CoverageOptions, optional
        The walking profile, time budget, distances and target share (default
        ``CoverageOptions()``: elderly pace, 15 minutes, 90%).
    services : mapping, optional
        Service name -> facilities GeoDataFrame, or a tuple of elderly ``type`` codes.
        Default :func:`default_services`.
    progress : bool, optional
        Show a progress bar; default only on an interactive terminal.
    **overrides
        Any option of :class:`~lifecircle.coverage.options.CoverageOptions` by name
        (``profile``, ``speed_m_s``, ``walk_minutes``, ``max_snap_m``, ``spacing_m``,
        ``access_m``, ``target_share``, ``isochrones``), applied on top of ``options``.

    Returns
    -------
    CoverageResult

    Raises
    ------
    TypeError
        For layers that are not a Layers object, a network that is not a WalkNetwork, or
        an unknown keyword.
    ValueError
        For an option out of range (see :class:`CoverageOptions`) or unknown services.

    Examples
    --------
    >>> result = compute_coverage(load_demo_layers(), load_demo_network())  # doctest: +SKIP
    >>> result = compute_coverage(layers, network, walk_minutes=10)  # doctest: +SKIP
    >>> result.share("elderly")  # doctest: +SKIP
    """
    _check_inputs(layers, network)
    opts = with_overrides(
        options, overrides, kind=CoverageOptions, function="compute_coverage"
    )  # every option checked before any work
    warn_datum_slips(layers, network.edges.geometry.to_numpy(), reference_crs=network.crs)
    prof = opts.walk_profile
    specs = _check_services(default_services(layers) if services is None else services)
    show = sys.stderr.isatty() if progress is None else progress
    facs = _facility_table(layers, specs, crs=network.crs, warn_empty=services is not None)
    demand = demand_table(
        layers.grids,
        crs=network.crs,
        buildings=getattr(layers, "buildings", None),
        spacing_m=opts.spacing_m,
    )
    steps = tqdm(total=3 + len(specs), disable=not show, desc="coverage", unit="step")
    max_snap_m = opts.max_snap_m
    d_snap = snap_coordinates(network, demand[["x", "y"]].to_numpy(), max_snap_m=max_snap_m)
    facs, f_snap = _facilities_in_extent(
        network, facs, snap_points(network, facs, max_snap_m=max_snap_m), max_snap_m
    )
    far = check_snapped(
        d_snap,
        f_snap,
        services=facs["service"],
        max_snap_m=max_snap_m,
        listed_in="result.unsnapped",
    )
    if far:
        warnings.warn(far, CoordinateWarning, stacklevel=2)
    graph = build_split_graph(network, f_snap, profile=prof)
    steps.update(3)
    walk_minutes = opts.walk_minutes
    limit_s = walk_minutes * 60.0
    demand = demand.assign(snap_m=d_snap["snap_m"], component=d_snap["component"])
    iso_rows: list[dict[str, Any]] = []
    for name in specs:
        rows = np.flatnonzero(facs["service"].to_numpy() == name)
        nearest = nearest_facility(graph, facilities=rows, limit_s=SEARCH_FACTOR * limit_s)
        seconds, fac = seconds_to_points(graph, nearest, d_snap)
        demand[f"minutes_{name}"] = seconds / 60.0
        ids = np.array([*facs["id"], None], dtype=object)  # fac == -1: unreachable
        demand[f"facility_{name}"] = ids[fac]
        if opts.isochrones:
            union, _ = isochrones_for_facilities(
                graph, rows, limit_s=limit_s, access_m=opts.access_m, per_facility=False
            )
            iso_rows.append(
                {"service": name, "facility_id": None, "minutes": walk_minutes, "geometry": union}
            )
        steps.update(1)
    steps.close()
    grids = grid_shares(layers.grids, demand, list(specs), walk_minutes, opts.target_share)
    params = {
        "profile": prof.name,
        "speed_m_s": prof.speed_m_s,
        "penalties": dict(prof.penalties),
        "walk_minutes": walk_minutes,
        "max_snap_m": max_snap_m,
        "access_m": opts.access_m,
        "spacing_m": opts.spacing_m,
        "target_share": opts.target_share,
        "services": {
            k: (v if isinstance(v, tuple | list) else "<GeoDataFrame>") for k, v in specs.items()
        },
        "network": repr(network),
        "weight_kind": ",".join(sorted(demand["weight_kind"].unique())),
    }
    return CoverageResult(
        demand=DemandPoints(demand, network.crs),
        grids=grids,
        facilities=_facility_summary(facs, f_snap, demand, list(specs), walk_minutes),
        isochrones=_isochrone_frame(iso_rows, crs=network.crs),
        unsnapped=_unsnapped(demand, d_snap, facs, f_snap),
        params=params,
        isochrone_source=IsochroneSource(
            graph=graph,
            facilities=pd.DataFrame({"service": facs["service"], "id": facs["id"]}),
            limit_s=limit_s,
            access_m=opts.access_m,
        ),
    )


def _facilities_in_extent(
    network: WalkNetwork, facs: gpd.GeoDataFrame, f_snap: pd.DataFrame, max_snap_m: float
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Leave out facilities off a clipped network and beyond its walking buffer.

    They are out of every resident's reach by construction (see
    :func:`lifecircle.coverage.network.extent.clip_network`), not misplaced, so they are neither
    warned about nor listed as unsnapped.
    """
    drop = beyond_reach(network, facs, max_snap_m=max_snap_m)
    drop &= ~f_snap["snapped"].to_numpy(dtype=bool)
    if not drop.any():
        return facs, f_snap
    logger.info(
        "%d facilities lie beyond the study extent and its %.0f m walking buffer; left out",
        drop.sum(), network.meta.get("extent_buffer_m", 0.0),
    )  # fmt: skip
    return facs[~drop].reset_index(drop=True), f_snap[~drop].reset_index(drop=True)


def _check_inputs(layers: object, network: object) -> None:
    if not isinstance(network, WalkNetwork):
        raise TypeError(
            "network must be a WalkNetwork (from network_from_pbf, network_from_lines, "
            f"network_from_graphml...), got {type(network).__name__}"
        )
    if not isinstance(getattr(layers, "grids", None), gpd.GeoDataFrame):
        raise TypeError(
            "layers must be a Layers object with a 'grids' GeoDataFrame (from load_layers or "
            f"load_demo_layers), got {type(layers).__name__}"
        )


def _check_services(services: object) -> dict[str, ServiceSpec]:
    if not isinstance(services, Mapping):
        raise TypeError(
            "services must be a mapping of service name -> elderly type codes or a facilities "
            f"GeoDataFrame, e.g. {{'care': ('care_home', 'day_care')}}; got "
            f"{type(services).__name__}"
        )
    if not services:
        raise ValueError("services is empty; give at least one service")
    for name, spec in services.items():
        if isinstance(spec, tuple | list) and not spec:
            raise ValueError(
                f"service {name!r} has no elderly type codes; give at least one, e.g. "
                "('care_home',)"
            )
    return dict(services)


def _facility_table(
    layers: Layers, specs: Mapping[str, ServiceSpec], *, crs: pyproj.CRS, warn_empty: bool
) -> gpd.GeoDataFrame:
    """Stack the facilities of every service: ``service, id, name, type, geometry``.

    With ``warn_empty``, a service the user asked for that has no facility warns (its
    coverage is 0% everywhere); default services missing from the data stay silent, unless
    the elderly layer has no facility at all.
    """
    known = {c.code for c in ELDERLY_TYPES}
    frames = []
    for name, spec in specs.items():
        if isinstance(spec, gpd.GeoDataFrame):
            frame = spec
        elif isinstance(spec, tuple | list):
            unknown: list[str] = sorted(set(spec) - known)
            if unknown:
                raise ValueError(
                    f"service {name!r}: unknown elderly type(s) {unknown}; "
                    f"expected codes among {sorted(known)}"
                )
            elderly = layers.elderly
            frame = elderly[elderly["type"].isin(spec)]
        else:
            raise TypeError(
                f"service {name!r} must be a GeoDataFrame or a tuple of elderly type codes, "
                f"got {type(spec).__name__}"
            )
        if len(frame) == 0 and (warn_empty or len(layers.elderly) == 0):
            what = f"no elderly facility of type {', '.join(spec)}" if isinstance(
                spec, tuple | list) else "its facilities layer is empty"  # fmt: skip
            warnings.warn(
                f"service {name!r} has no facilities ({what}): nobody reaches it, so its "
                "coverage is 0% everywhere",
                LifecircleWarning,
                stacklevel=3,
            )
        ids = frame["id"].astype(str) if "id" in frame else frame.index.astype(str).to_series()
        frames.append(
            gpd.GeoDataFrame(
                {
                    "service": name,
                    "id": ids.to_numpy(),
                    "name": frame["name"].to_numpy() if "name" in frame else ids.to_numpy(),
                    "type": frame["type"].to_numpy() if "type" in frame else name,
                },
                geometry=frame.geometry.to_crs(crs).to_numpy(),
                crs=crs,
            )
        )
    return pd.concat(frames, ignore_index=True)


def grid_shares(
    grids: gpd.GeoDataFrame,
    demand: pd.DataFrame,
    services: list[str],
    walk_minutes: float,
    target_share: float,
) -> gpd.GeoDataFrame:
    """Per-grid weight and covered share at every level.

    Leaf shares are weighted sums over the leaf's demand points; parents get the
    weighted mean of their leaves (:func:`lifecircle.geo.hierarchy.roll_up`).
    """
    out = grids.assign(id=grids["id"].astype(str)).to_crs(4326)
    out["parent_id"] = [None if pd.isna(p) else str(p) for p in out["parent_id"]]
    leaf_ids = leaf_grid_ids(out)
    out["is_leaf"] = out["id"].isin(leaf_ids)
    weight = demand["weight"].to_numpy(dtype=float)
    values = pd.DataFrame(index=pd.Index(leaf_ids, name="id"))
    by = demand["grid_id"].to_numpy()
    values["weight"] = pd.Series(weight).groupby(by).sum().reindex(leaf_ids).fillna(0.0)
    shares = [f"share_{s}" for s in services]
    for s in services:
        ok = demand[f"minutes_{s}"].to_numpy() <= walk_minutes
        covered = pd.Series(np.where(ok, weight, 0.0)).groupby(by).sum().reindex(leaf_ids)
        with np.errstate(invalid="ignore", divide="ignore"):
            values[f"share_{s}"] = np.where(
                values["weight"] > 0, covered.fillna(0.0) / values["weight"], np.nan
            )
    rolled = roll_up(out, values, weight="weight", columns=shares)
    rolled.index = rolled.index.astype(str)
    out["weight"] = out["id"].map(rolled["weight"]).fillna(0.0).to_numpy()
    for s in services:
        out[f"share_{s}"] = np.clip(out["id"].map(rolled[f"share_{s}"]).to_numpy(float), 0, 1)
        out[f"covered_{s}"] = out[f"share_{s}"] >= target_share
    keep = ["id", "name", "level", "parent_id", "kind", "is_leaf", "weight"]
    keep = [c for c in keep if c in out.columns]
    cols = keep + [c for s in services for c in (f"share_{s}", f"covered_{s}")]
    return out[[*cols, "geometry"]].reset_index(drop=True)


def _isochrone_frame(rows: list[dict[str, Any]], *, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame(
            {"service": [], "facility_id": [], "minutes": []}, geometry=[], crs=4326
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs).to_crs(4326)


def _facility_summary(
    facs: gpd.GeoDataFrame,
    f_snap: pd.DataFrame,
    demand: pd.DataFrame,
    services: list[str],
    walk_minutes: float,
) -> gpd.GeoDataFrame:
    out = facs.assign(snap_m=f_snap["snap_m"].to_numpy(), snapped=f_snap["snapped"].to_numpy())
    return served_by_facility(out, demand, services, walk_minutes)


def _unsnapped(
    demand: pd.DataFrame,
    d_snap: pd.DataFrame,
    facs: gpd.GeoDataFrame,
    f_snap: pd.DataFrame,
) -> pd.DataFrame:
    far_d = ~d_snap["snapped"].to_numpy(dtype=bool)
    far_f = ~f_snap["snapped"].to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "kind": ["demand"] * int(far_d.sum()) + ["facility"] * int(far_f.sum()),
            "service": [None] * int(far_d.sum()) + list(facs["service"][far_f]),
            "id": list(demand.index[far_d].astype(str)) + list(facs["id"][far_f]),
            "grid_id": list(demand["grid_id"][far_d]) + [None] * int(far_f.sum()),
            "snap_m": np.r_[d_snap["snap_m"][far_d], f_snap["snap_m"][far_f]],
        }
    )


def served_by_facility(
    out: gpd.GeoDataFrame, demand: pd.DataFrame, services: list[str], walk_minutes: float
) -> gpd.GeoDataFrame:
    """Add ``served_weight``, ``n_grids`` and ``grids`` to each facility row, in EPSG:4326.

    A facility serves the demand points whose nearest facility of its service it is, within
    ``walk_minutes`` (``demand``'s ``minutes_<service>`` and ``facility_<service>`` columns).
    """
    served = np.zeros(len(out))
    n_grids = np.zeros(len(out), dtype=np.int64)
    grid_lists = np.full(len(out), "", dtype=object)
    for s in services:
        ok = demand[f"minutes_{s}"] <= walk_minutes
        sub = demand.loc[ok, [f"facility_{s}", "grid_id", "weight"]]
        weight = sub.groupby(f"facility_{s}")["weight"].sum()
        # each facility's distinct grids, sorted: one sort of the distinct pairs
        pairs = sub[[f"facility_{s}", "grid_id"]].drop_duplicates()
        pairs = pairs.sort_values([f"facility_{s}", "grid_id"], kind="stable")
        by_fac = pairs.groupby(f"facility_{s}", sort=False)["grid_id"]
        mine = np.flatnonzero(out["service"].to_numpy() == s)
        ids = pd.Series(out["id"].to_numpy()[mine])
        served[mine] = ids.map(weight).fillna(0.0).to_numpy()
        n_grids[mine] = ids.map(by_fac.size()).fillna(0).to_numpy(dtype=np.int64)
        joined = by_fac.agg(",".join).to_dict()
        grid_lists[mine] = [joined.get(i, "") for i in ids]
    out["served_weight"], out["n_grids"], out["grids"] = served, n_grids, grid_lists
    return out.to_crs(4326)
