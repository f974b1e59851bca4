"""The immutable result of :func:`lifecircle.coverage.compute_coverage`.

Each service's walking area comes with the result; one area per facility is computed only
when asked for (:meth:`CoverageResult.facility_isochrones`): maps and reports draw the
service areas, and per facility they cost one bounded Dijkstra and one buffer-and-union
each, most of the analysis' time on a city (``benchmarks/bench_city_scale.py``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from lifecircle.coverage.areas.isochrones import isochrones_per_facility
from lifecircle.coverage.measures.demand import points_frame
from lifecircle.coverage.routing.split_graph import SplitGraph
from lifecircle.frozen_mapping import FrozenMapping

__all__ = ["CoverageResult", "DemandPoints", "IsochroneSource"]

_LEVEL_ORDER = {"subdistrict": 0, "area": 1, "microgrid": 2}


@dataclass(frozen=True, eq=False, init=False)
class CoverageResult:
    """Who can walk to which service within the time budget.

    Attributes
    ----------
    demand : geopandas.GeoDataFrame
        Demand points (EPSG:4326): ``grid_id``, ``weight``, ``snap_m``, ``component``, and
        per service ``s``: ``minutes_<s>`` (``inf`` when unreachable within twice the
        budget) and ``facility_<s>`` (id of the nearest facility as text; missing, i.e.
        ``NaN`` as pandas shows it, when unreachable: test with ``pandas.isna``). Given as
        :class:`DemandPoints` (coordinate arrays), the frame is made when first read.
    grids : geopandas.GeoDataFrame
        Every grid at every level (EPSG:4326): ``id, name, level, parent_id, kind, weight``
        and per service ``share_<s>`` (0..1, NaN without weight) and ``covered_<s>``
        (``share_<s> >= target_share``). Shares are weighted by population (by area when
        population is unknown) and rolled up through the hierarchy.
    facilities : geopandas.GeoDataFrame
        One row per (service, facility): ``service, id, name, type, snap_m,
        served_weight, n_grids, grids`` (comma-separated leaf grid ids it is nearest for).
    isochrones : geopandas.GeoDataFrame
        One walking area per service (empty without ``isochrones=True``): ``service``,
        ``facility_id`` (None: the area of every facility of the service), ``minutes``,
        geometry (reachable streets buffered by ``access_m``), EPSG:4326. One area per
        facility: :meth:`facility_isochrones`.
    unsnapped : pandas.DataFrame
        Points farther than ``max_snap_m`` from any street: ``kind`` (demand/facility),
        ``service``, ``id``, ``grid_id``, ``snap_m``.
    params : mapping
        Profile name, ``speed_m_s``, ``walk_minutes``, ``max_snap_m``, ``access_m``,
        ``spacing_m``, ``target_share``, services and a network summary.
    isochrone_source : IsochroneSource, optional
        What :meth:`facility_isochrones` needs (the compiled walking graph); None in a
        result built by hand.
    """

    demand: gpd.GeoDataFrame  # a property (below the class): made on first read
    grids: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    unsnapped: pd.DataFrame
    params: Mapping[str, Any]
    isochrone_source: IsochroneSource | None = field(repr=False)
    # per-facility isochrones already computed, by service (filled by facility_isochrones)
    _facility_areas: dict[str, gpd.GeoDataFrame] = field(init=False, repr=False)

    def __init__(
        self,
        demand: gpd.GeoDataFrame | DemandPoints,
        grids: gpd.GeoDataFrame,
        facilities: gpd.GeoDataFrame,
        isochrones: gpd.GeoDataFrame,
        unsnapped: pd.DataFrame,
        params: Mapping[str, Any] | None = None,
        isochrone_source: IsochroneSource | None = None,
    ) -> None:
        # the demand points as given (a frame, or arrays made into one on first read) are
        # kept in the instance dict, under the ``demand`` property
        self.__dict__["demand"] = demand
        put = object.__setattr__
        put(self, "grids", grids)
        put(self, "facilities", facilities)
        put(self, "isochrones", isochrones)
        put(self, "unsnapped", unsnapped)
        put(self, "params", FrozenMapping(dict(params or {})))
        put(self, "isochrone_source", isochrone_source)
        put(self, "_facility_areas", {})

    @property
    def _demand_columns(self) -> pd.DataFrame:
        """The demand table without making geometries (for figures that need none)."""
        given = self.__dict__["demand"]
        table: pd.DataFrame = given.table if isinstance(given, DemandPoints) else given
        return table

    def facility_isochrones(self, service: str | None = None) -> gpd.GeoDataFrame:
        """One walking area per facility of ``service`` (of every service by default).

        Computed on the first call for a service and kept: one bounded Dijkstra from each
        facility over the result's walking graph, its reachable streets buffered by
        ``access_m`` (the areas of :attr:`isochrones` are their unions per service).

        Parameters
        ----------
        service : str, optional
            One of :attr:`services`.

        Returns
        -------
        geopandas.GeoDataFrame
            ``service, facility_id, minutes, geometry`` in EPSG:4326, one row per facility
            in the order of :attr:`facilities` (an empty polygon for a facility too far
            from every street).

        Raises
        ------
        ValueError
            When ``service`` was not analysed, or the result keeps no walking graph (it
            was not made by ``compute_coverage``).
        """
        names = self.services if service is None else [service]
        for name in names:
            self._column("isochrones", name)  # raises for a service not analysed
        source = self.isochrone_source
        if source is None:
            raise ValueError(
                "this coverage result keeps no walking graph (it was not made by "
                "compute_coverage), so it cannot compute per-facility isochrones"
            )
        for name in names:
            if name not in self._facility_areas:
                self._facility_areas[name] = source.frame(name, minutes=self.walk_minutes)
        frames = [self._facility_areas[name] for name in names]
        if len(frames) == 1:
            return frames[0].copy()
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)

    @property
    def services(self) -> list[str]:
        """Names of the services analysed."""
        return list(self.params.get("services", {}))

    def share(self, service: str) -> pd.Series:
        """Share of each grid's weight within the time budget of ``service`` (0..1).

        Aligned with :attr:`grids` (NaN for a grid without weight); named
        ``share_<service>`` as the column of :meth:`grid_table`.

        Raises
        ------
        ValueError
            When ``service`` was not analysed.
        """
        return self.grids[self._column("share", service)]

    def covered(self, service: str) -> pd.Series:
        """Whether each grid meets :attr:`target_share` for ``service`` (aligned with
        :attr:`grids`)."""
        return self.grids[self._column("covered", service)]

    def minutes(self, service: str) -> pd.Series:
        """Walking minutes from each demand point to its nearest ``service`` facility
        (aligned with :attr:`demand`; ``inf`` beyond twice the budget)."""
        return self._demand_columns[self._column("minutes", service)]

    def _column(self, kind: str, service: str) -> str:
        if service not in self.services:
            raise ValueError(
                f"service {service!r} is not in the coverage result; it has "
                f"{', '.join(self.services) or 'none'}"
            )
        return f"{kind}_{service}"

    @property
    def walk_minutes(self) -> float:
        """The time budget, minutes."""
        return float(self.params["walk_minutes"])

    @property
    def speed_m_s(self) -> float:
        """The walking speed used, metres per second."""
        return float(self.params["speed_m_s"])

    @property
    def profile_name(self) -> str:
        """The walking profile's name (``"elderly"``, ``"adult"``, a study's own...)."""
        return str(self.params["profile"])

    @property
    def max_snap_m(self) -> float:
        """Points farther than this from every street were left unreachable."""
        return float(self.params["max_snap_m"])

    @property
    def target_share(self) -> float:
        """A grid is ``covered`` when at least this share of its weight is within reach."""
        return float(self.params["target_share"])

    def grid_table(self, level: str | None = None) -> pd.DataFrame:
        """Return the per-grid table without geometry, optionally for one ``level``.

        Parameters
        ----------
        level : {"subdistrict", "area", "microgrid", "leaf"}, optional
            ``"leaf"`` selects grids without children (where demand points live).
        """
        table = pd.DataFrame(self.grids.drop(columns="geometry"))
        if level == "leaf":
            return table[table["is_leaf"]].reset_index(drop=True)
        if level is not None:
            levels = set(table["level"])
            if level not in levels:
                raise ValueError(f"unknown grid level {level!r}; expected one of {sorted(levels)}")
            table = table[table["level"] == level]
        return table.reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """One row per service: weight covered, share, grids meeting the target.

        Returns
        -------
        pandas.DataFrame
            Indexed by service with ``facilities``, ``share``, ``leaf_grids``,
            ``leaf_grids_covered``, ``worst_grid``, ``worst_share``, ``median_minutes``
            and ``unsnapped_demand``.
        """
        leaf = self.grid_table("leaf")
        weight = self._demand_columns["weight"]
        total = weight.sum()
        rows = {}
        for s in self.services:
            minutes = self.minutes(s).to_numpy()
            ok = minutes <= self.walk_minutes
            shares = leaf[f"share_{s}"]
            worst = shares.idxmin() if shares.notna().any() else None
            rows[s] = {
                "facilities": int((self.facilities["service"] == s).sum()),
                "share": float(weight[ok].sum() / total) if total else np.nan,
                "leaf_grids": len(leaf),
                "leaf_grids_covered": int(leaf[f"covered_{s}"].sum()),
                "worst_grid": None if worst is None else leaf.loc[worst, "name"],
                "worst_share": np.nan if worst is None else float(shares[worst]),
                "median_minutes": _weighted_median(minutes, weight.to_numpy()),
                "unsnapped_demand": int((self.unsnapped["kind"] == "demand").sum()),
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "service"
        return frame

    def _headline(self) -> str:
        p = self.params
        return (
            f"{p.get('walk_minutes', '?'):g}-minute walk, profile {p.get('profile')} "
            f"({p.get('speed_m_s', float('nan')):.2f} m/s), "
            f"{len(self._demand_columns)} demand points, {len(self.grids)} grids"
        )

    def __repr__(self) -> str:
        lines = [f"CoverageResult({self._headline()})"]
        if self.services:
            lines.append(self.summary().to_string())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = html.escape(f"CoverageResult — {self._headline()}")
        table = self.summary()
        parts = ["<table><thead><tr><th>service</th>"]
        parts += [f"<th>{html.escape(str(c))}</th>" for c in table.columns]
        parts.append("</tr></thead><tbody>")
        for service, row in table.iterrows():
            parts.append(f"<tr><th>{html.escape(str(service))}</th>")
            parts += [f"<td>{html.escape(_fmt(v))}</td>" for v in row]
            parts.append("</tr>")
        parts.append("</tbody></table>")
        return f"<div><strong>{head}</strong>{''.join(parts)}</div>"


def _demand_frame(result: CoverageResult) -> gpd.GeoDataFrame:
    """:attr:`CoverageResult.demand`: the frame given, or made from its arrays once."""
    given = result.__dict__["demand"]
    if isinstance(given, DemandPoints):
        given = given.to_frame()
        result.__dict__["demand"] = given
    frame: gpd.GeoDataFrame = given
    return frame


# a property over the instance dict, installed after the dataclass is made, so that the
# field stays an ordinary ``demand`` argument (for ``dataclasses.replace`` too)
setattr(CoverageResult, "demand", property(_demand_frame))  # noqa: B010


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted median (``inf`` when more than half the weight is unreachable)."""
    if len(values) == 0 or weights.sum() <= 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2.0)])


@dataclass(frozen=True, eq=False)
class IsochroneSource:
    """What per-facility isochrones need, kept by a :class:`CoverageResult` until asked for.

    Attributes
    ----------
    graph : SplitGraph
        The walking graph the coverage was computed on.
    facilities : pandas.DataFrame
        ``service, id`` of every facility, in the graph's facility order.
    limit_s : float
        The time budget, seconds.
    access_m : float
        Buffer around reachable streets, metres.
    """

    graph: SplitGraph
    facilities: pd.DataFrame
    limit_s: float
    access_m: float

    def frame(self, service: str, *, minutes: float) -> gpd.GeoDataFrame:
        """One isochrone per facility of ``service``: ``service, facility_id, minutes``."""
        rows = np.flatnonzero(self.facilities["service"].to_numpy() == service)
        areas = isochrones_per_facility(
            self.graph, rows, limit_s=self.limit_s, access_m=self.access_m
        )
        return gpd.GeoDataFrame(
            {
                "service": pd.Series([service] * len(rows), dtype=object),
                "facility_id": self.facilities["id"].to_numpy()[rows],
                "minutes": np.full(len(rows), minutes),
            },
            geometry=areas,
            crs=self.graph.network.crs,
        ).to_crs(4326)


@dataclass(frozen=True, eq=False)
class DemandPoints:
    """Demand points held as columns, with their coordinates as ``x`` and ``y`` arrays.

    A :class:`CoverageResult` given one makes its :attr:`CoverageResult.demand` frame (Point
    geometries in EPSG:4326) only when that is first read: on a city of millions of points
    the geometries would double the memory of the whole analysis.

    Attributes
    ----------
    table : pandas.DataFrame
        The demand columns with ``x`` and ``y`` (in ``crs``) where the geometry goes.
    crs : pyproj.CRS
        The CRS of ``x`` and ``y``.
    """

    table: pd.DataFrame
    crs: pyproj.CRS

    def to_frame(self) -> gpd.GeoDataFrame:
        """The points as a GeoDataFrame in EPSG:4326 (geometry in place of ``x``, ``y``).

        The coordinates are transformed as arrays (as ``GeoDataFrame.to_crs`` does, with
        the same transformer), so the Point objects are made once.
        """
        to_wgs84 = pyproj.Transformer.from_crs(self.crs, 4326, always_xy=True)
        lon, lat = to_wgs84.transform(self.table["x"].to_numpy(), self.table["y"].to_numpy())
        return points_frame(self.table.assign(x=lon, y=lat), 4326)
