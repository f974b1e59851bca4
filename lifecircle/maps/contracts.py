"""What the maps read of the analysis: coverage figures, the life circle, the network.

The maps package imports nothing from :mod:`lifecircle.coverage` (so it can draw any result
with the same shape, and the analysis never depends on drawing). These protocols say
exactly what it reads; :class:`lifecircle.coverage.CoverageResult` and
:class:`lifecircle.coverage.WalkNetwork` satisfy them, and mypy checks that they do
wherever the CLI and the study pass them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import geopandas as gpd
import pandas as pd

from lifecircle.typing import FloatArray

__all__ = ["CoverageFigures", "LifeCircleFigures", "StreetNetwork"]


class CoverageFigures(Protocol):
    """A walking-coverage result as the maps read it.

    ``grids`` holds every grid (EPSG:4326) with ``id``, ``name``, ``level``,
    ``parent_id``, ``weight`` and ``is_leaf``; :meth:`share` gives the coverage of one
    service aligned with it.
    """

    @property
    def grids(self) -> gpd.GeoDataFrame:
        """Every grid, EPSG:4326."""

    @property
    def isochrones(self) -> gpd.GeoDataFrame:
        """Walking areas: ``service``, ``facility_id`` (missing for a service's union)."""

    @property
    def unsnapped(self) -> pd.DataFrame:
        """Points too far from every street (one row each)."""

    @property
    def services(self) -> list[str]:
        """The services analysed."""

    @property
    def walk_minutes(self) -> float:
        """The time budget, minutes."""

    @property
    def speed_m_s(self) -> float:
        """The walking speed, metres per second."""

    @property
    def profile_name(self) -> str:
        """The walking profile's name."""

    @property
    def max_snap_m(self) -> float:
        """The snapping distance, metres."""

    @property
    def target_share(self) -> float:
        """The share a grid must reach to count as covered."""

    def share(self, service: str) -> pd.Series:
        """Each grid's covered share of ``service`` (0..1), aligned with :attr:`grids`."""


class StreetNetwork(Protocol):
    """A walking network as the maps draw and describe it."""

    @property
    def nodes(self) -> gpd.GeoDataFrame:
        """Junctions."""

    @property
    def edges(self) -> gpd.GeoDataFrame:
        """Street segments with ``length_m``, in a metric CRS."""

    @property
    def source(self) -> str:
        """Where the network came from (a file path, a place name...)."""

    @property
    def meta(self) -> Mapping[str, object]:
        """What its builder recorded (study extent, lengths inside it...)."""


class LorenzFigures(Protocol):
    """A Lorenz curve: cumulative shares of residents and of access, from 0 to 1."""

    @property
    def population_share(self) -> FloatArray:
        """Cumulative share of residents, worst served first."""

    @property
    def access_share(self) -> FloatArray:
        """Cumulative share of access."""


class EquityFigures(Protocol):
    """Inequality indices of one access measure across residents."""

    @property
    def gini(self) -> float:
        """Gini coefficient (nan when nobody has access)."""

    @property
    def palma(self) -> float:
        """Palma ratio."""

    @property
    def theil(self) -> float:
        """Theil T."""

    @property
    def lorenz(self) -> LorenzFigures:
        """The Lorenz curve."""

    @property
    def worst_served(self) -> object:
        """The subgroup among the worst served (``subgroup_share``, ``overall_share``) or
        ``None`` when no subgroup was given."""


class CatalogueFigures(Protocol):
    """The planning standard a life circle is judged against."""

    @property
    def name(self) -> str:
        """Preset name."""

    @property
    def document(self) -> str:
        """The document's reference (``"GB 50180-2018"``)."""

    @property
    def title_zh(self) -> str:
        """Chinese title."""

    @property
    def title_en(self) -> str:
        """English title."""


@runtime_checkable
class LifeCircleFigures(Protocol):
    """A life-circle result as the maps read it (``LifeCircleResult`` satisfies it).

    ``grids`` (EPSG:4326) has ``completeness``, ``n_met``, ``n_evaluated``, ``weight``,
    ``missing_zh`` and ``missing_en``; ``categories`` one row per category (``code``,
    ``name_zh``, ``name_en``, ``tier``, ``limit_m``, ``evaluated``, ``n_facilities``,
    ``share``); ``params`` the ``met_share``.
    """

    @property
    def grids(self) -> gpd.GeoDataFrame:
        """Every grid, EPSG:4326."""

    @property
    def categories(self) -> pd.DataFrame:
        """One row per category of the catalogue."""

    @property
    def equity(self) -> EquityFigures:
        """Inequality of the residents' completeness."""

    @property
    def catalogue(self) -> CatalogueFigures:
        """The standard."""

    @property
    def params(self) -> Mapping[str, object]:
        """The settings (``met_share``...)."""
