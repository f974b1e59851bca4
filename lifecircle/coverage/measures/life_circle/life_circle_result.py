"""The immutable result of :func:`lifecircle.coverage.compute_life_circle`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from lifecircle.coverage.measures.life_circle.equity import EquitySummary
from lifecircle.coverage.presets import ServiceCatalogue
from lifecircle.frozen_mapping import FrozenMapping

__all__ = ["LifeCircleResult"]

_LEVEL_ORDER = {"subdistrict": 0, "area": 1, "microgrid": 2}


@dataclass(frozen=True, eq=False)
class LifeCircleResult:
    """Which required services each grid's residents reach on foot (:func:`compute_life_circle`).

    Attributes
    ----------
    catalogue : ServiceCatalogue
        The standard evaluated.
    grids : geopandas.GeoDataFrame
        Every grid at every level (EPSG:4326): ``id, name, level, parent_id, kind, is_leaf,
        weight``, per evaluated category ``share_<code>`` and ``met_<code>``, then
        ``completeness``, ``n_met``, ``n_evaluated``, ``resident_completeness``, ``missing``
        (codes, comma-separated), ``missing_zh`` (、-separated) and ``missing_en``.
        Grids without residents have NaN shares and completeness and nothing missing.
    categories : pandas.DataFrame
        One row per catalogue category: ``code, name_zh, name_en, tier, limit_m,
        limit_from`` (``"category"``, ``"tier"`` or ``None``), ``evaluated``,
        ``n_facilities``, ``share`` (of all residents within the limit) and ``note``.
    demand : geopandas.GeoDataFrame
        Demand points (EPSG:4326): ``grid_id, weight`` and per evaluated category
        ``metres_<code>`` (``inf`` beyond twice the limit) and ``facility_<code>``;
        ``resident_completeness``.
    facilities : geopandas.GeoDataFrame
        The facilities used: ``id, name, category, capacity, source`` (``"facilities"`` or
        ``"elderly"``), ``snap_m``, ``snapped``.
    equity : EquitySummary
        Inequality of ``resident_completeness`` across residents.
    params : mapping
        The options, the preset name and a network summary.
    """

    catalogue: ServiceCatalogue
    grids: gpd.GeoDataFrame
    categories: pd.DataFrame
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    equity: EquitySummary
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", FrozenMapping(dict(self.params)))

    @property
    def evaluated(self) -> tuple[str, ...]:
        """Codes of the categories evaluated (those with a walking limit), catalogue order."""
        return tuple(self.categories.loc[self.categories["evaluated"], "code"])

    def grid_table(self, level: str | None = None) -> gpd.GeoDataFrame:
        """The grids (of one ``level``, e.g. ``"microgrid"``), as a GeoDataFrame."""
        if level is None:
            return self.grids.copy()
        known = sorted(set(self.grids["level"]), key=lambda v: _LEVEL_ORDER.get(v, 9))
        if level not in known:
            raise ValueError(f"unknown grid level {level!r}; the grids have {known}")
        return self.grids[self.grids["level"] == level].reset_index(drop=True)

    def to_geodataframe(self, level: str | None = None) -> gpd.GeoDataFrame:
        """Same as :meth:`grid_table`: one row per grid, ready for ``to_file``."""
        return self.grid_table(level)

    def missing(self, grid_id: str) -> list[tuple[str, str, str]]:
        """``(code, name_zh, name_en)`` of each category grid ``grid_id`` does not meet."""
        rows = self.grids[self.grids["id"] == str(grid_id)]
        if rows.empty:
            raise KeyError(f"no grid {grid_id!r}")
        codes = [c for c in str(rows["missing"].iloc[0]).split(",") if c]
        names = self.categories.set_index("code")
        return [(c, str(names.at[c, "name_zh"]), str(names.at[c, "name_en"])) for c in codes]

    def summary(self) -> pd.DataFrame:
        """Per grid level: grids, mean and lowest completeness, complete grids."""
        frame = self.grids[self.grids["weight"] > 0]
        table = frame.groupby("level", sort=False)["completeness"].agg(
            grids="size", mean_completeness="mean", lowest="min"
        )
        table["complete"] = frame.groupby("level", sort=False)["completeness"].apply(
            lambda c: int((c >= 1.0 - 1e-12).sum())
        )
        return table.sort_index(key=lambda ix: ix.map(lambda v: _LEVEL_ORDER.get(v, 9)))

    def __repr__(self) -> str:
        n_eval = len(self.evaluated)
        skipped = len(self.categories) - n_eval
        lines = [
            f"LifeCircleResult({self.catalogue.document} {self.catalogue.name!r}: "
            f"{n_eval} categories evaluated"
            + (f", {skipped} without a walking limit" if skipped else "")
            + f"; met when >= {self.params.get('met_share', 0.9):.0%} of residents are within "
            "the limit)"
        ]
        for level, row in self.summary().iterrows():
            lines.append(
                f"  {level}: {int(row['grids'])} grids, completeness mean "
                f"{row['mean_completeness']:.0%}, lowest {row['lowest']:.0%}, "
                f"{int(row['complete'])} complete"
            )
        lacking = self.categories[self.categories["evaluated"]].sort_values("share")
        worst = [f"{r.code} {r.share:.0%}" for r in lacking.head(3).itertuples()]
        if worst:
            lines.append("  least reached: " + ", ".join(worst))
        lines.append(
            f"  equity of resident completeness: Gini {self.equity.gini:.2f}, "
            f"Palma {self.equity.palma:.2f}, Theil {self.equity.theil:.2f}"
        )
        return "\n".join(lines)
