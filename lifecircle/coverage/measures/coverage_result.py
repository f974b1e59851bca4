"""The immutable result of :func:`lifecircle.coverage.compute_coverage`."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["CoverageResult"]

_LEVEL_ORDER = {"subdistrict": 0, "area": 1, "microgrid": 2}


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """Who can walk to which service within the time budget.

    Attributes
    ----------
    demand : geopandas.GeoDataFrame
        Demand points (EPSG:4326): ``grid_id``, ``weight``, ``snap_m``, ``component``, and
        per service ``s``: ``minutes_<s>`` (``inf`` when unreachable within twice the
        budget) and ``facility_<s>`` (id of the nearest facility as text; missing, i.e.
        ``NaN`` as pandas shows it, when unreachable: test with ``pandas.isna``).
    grids : geopandas.GeoDataFrame
        Every grid at every level (EPSG:4326): ``id, name, level, parent_id, kind, weight``
        and per service ``share_<s>`` (0..1, NaN without weight) and ``covered_<s>``
        (``share_<s> >= target_share``). Shares are weighted by population (by area when
        population is unknown) and rolled up through the hierarchy.
    facilities : geopandas.GeoDataFrame
        One row per (service, facility): ``service, id, name, type, snap_m,
        served_weight, n_grids, grids`` (comma-separated leaf grid ids it is nearest for).
    isochrones : geopandas.GeoDataFrame
        ``service, facility_id`` (None for the union of the service), ``minutes``,
        geometry (reachable streets buffered by ``access_m``), EPSG:4326.
    unsnapped : pandas.DataFrame
        Points farther than ``max_snap_m`` from any street: ``kind`` (demand/facility),
        ``service``, ``id``, ``grid_id``, ``snap_m``.
    params : mapping
        Profile name, ``speed_m_s``, ``walk_minutes``, ``max_snap_m``, ``access_m``,
        ``spacing_m``, ``target_share``, services and a network summary.
    """

    demand: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    unsnapped: pd.DataFrame
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

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
        return self.demand[self._column("minutes", service)]

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
        total = self.demand["weight"].sum()
        rows = {}
        for s in self.services:
            minutes = self.minutes(s).to_numpy()
            ok = minutes <= self.walk_minutes
            shares = leaf[f"share_{s}"]
            worst = shares.idxmin() if shares.notna().any() else None
            rows[s] = {
                "facilities": int((self.facilities["service"] == s).sum()),
                "share": float(self.demand["weight"][ok].sum() / total) if total else np.nan,
                "leaf_grids": len(leaf),
                "leaf_grids_covered": int(leaf[f"covered_{s}"].sum()),
                "worst_grid": None if worst is None else leaf.loc[worst, "name"],
                "worst_share": np.nan if worst is None else float(shares[worst]),
                "median_minutes": _weighted_median(minutes, self.demand["weight"].to_numpy()),
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
            f"{len(self.demand)} demand points, {len(self.grids)} grids"
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
