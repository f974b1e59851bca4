"""The settings of maps and reports: :class:`MapOptions` and :class:`ReportOptions`.

Frozen dataclasses whose ``__post_init__`` is the one place each setting is checked (with
:mod:`lifecircle.options`, the language with :func:`~lifecircle.maps.labels.check_lang`,
the basemap and its key with :func:`~lifecircle.maps.basemaps.check_basemap`): a Tianditu
basemap without a usable key fails when the options are made, before any analysis.
:func:`~lifecircle.maps.coverage_map`, :func:`~lifecircle.maps.map_png`,
:func:`~lifecircle.maps.report_html` and :func:`~lifecircle.maps.write_report` take one, or
build one from their keyword arguments::

    options = MapOptions(lang="en", basemap="osm")
    coverage_map(layers, result, options=options)
    coverage_map(layers, result, lang="en", basemap="osm")  # the same map

The data drawn — layers, coverage result, network, suggested seats, a report's targets —
are arguments of the functions, not options.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from lifecircle.errors import OptionTypeError
from lifecircle.maps.basemaps import check_basemap
from lifecircle.maps.extent import CRSLike, extent_geometry
from lifecircle.maps.labels import check_lang
from lifecircle.options import check_flag, check_number, check_text

__all__ = ["Extent", "MapOptions", "ReportOptions"]

#: What ``extent=`` accepts: a shapely geometry (in ``extent_crs``, EPSG:4326 by default),
#: a GeoSeries or a GeoDataFrame (merged into one geometry, their CRS kept), or None.
Extent: TypeAlias = BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | None


@dataclass(frozen=True, kw_only=True)
class _PageOptions:
    """What a map and a report share: language, basemap, data date and study extent."""

    lang: str = "zh"
    basemap: str | None = None
    tianditu_key: str | None = None
    data_date: str | None = None
    extent: Extent = None
    extent_crs: CRSLike = 4326

    def __post_init__(self) -> None:
        check_lang(self.lang)
        object.__setattr__(
            self, "basemap", check_basemap(self.basemap, tianditu_key=self.tianditu_key)
        )
        check_text("data_date", self.data_date)
        area = extent_geometry(self.extent, self.extent_crs)
        if area is not None:
            object.__setattr__(self, "extent", area[0])
            object.__setattr__(self, "extent_crs", area[1])
        else:
            object.__setattr__(self, "extent", None)

    def study_area(self) -> gpd.GeoSeries | None:
        """The study extent as a one-row GeoSeries (``None``: the union of the grids)."""
        if self.extent is None:
            return None
        return gpd.GeoSeries([self.extent], crs=self.extent_crs)


@dataclass(frozen=True, kw_only=True)
class MapOptions(_PageOptions):
    """How :func:`~lifecircle.maps.coverage_map` (and :func:`~lifecircle.maps.map_png`) draw.

    Parameters
    ----------
    service : str, default "elderly"
        Which service's coverage colours the grids.
    lang : {"zh", "en"}
        Language of every label, legend entry and tooltip.
    basemap : {None, "osm", "tianditu", "amap", "gaode"}
        Street tiles (see :mod:`lifecircle.maps.basemaps`); ``None`` makes no request.
        With ``"amap"``/``"gaode"`` every geometry is shifted into GCJ-02 for display.
        Kept by its canonical name (``"gaode"`` -> ``"amap"``).
    tianditu_key : str, optional
        Required with ``basemap="tianditu"``: letters and digits.
    title : str, optional
        Title block text (default: a description of the map in ``lang``).
    data_date : str, optional
        Date of the data, shown in the legend (default: ``layers.data_date`` if present).
    isochrones : bool, default True
        Add the per-service walking areas of the result (initially hidden).
    width, height : str or int
        Size of the map element (``"100%"``, or pixels).
    osm_data : bool, optional
        Whether the data comes from OpenStreetMap, which adds "© OpenStreetMap
        contributors" to the map. Default: guessed from the network's source and from
        ``osm_id`` columns (layers made by ``layers_from_osm``).
    extent : shapely geometry, GeoSeries or GeoDataFrame, optional
        The study area when it is not the union of the grids (a boundary): the map opens
        on it and draws context layers near it. Kept as one geometry in ``extent_crs``.
    extent_crs : CRS, default EPSG:4326
        The CRS of a shapely ``extent`` (a GeoSeries or GeoDataFrame brings its own).

    The static image (:func:`~lifecircle.maps.map_png`) uses ``service``, ``lang``,
    ``title`` and ``extent``; it has no tiles, layer list or size in CSS units.

    Raises
    ------
    lifecircle.errors.OptionError
        (a ``ValueError``) for an unknown language or basemap, or Tianditu without a
        usable key.
    lifecircle.errors.OptionTypeError
        (a ``TypeError``) for a value of the wrong type.
    """

    service: str = "elderly"
    title: str | None = None
    isochrones: bool = True
    width: str | int = "100%"
    height: str | int = "100%"
    osm_data: bool | None = None

    def __post_init__(self) -> None:
        check_text("service", self.service, optional=False)
        super().__post_init__()
        check_text("title", self.title)
        object.__setattr__(self, "isochrones", check_flag("isochrones", self.isochrones))
        for name in ("width", "height"):
            _check_size(name, getattr(self, name))
        if self.osm_data is not None:
            object.__setattr__(self, "osm_data", check_flag("osm_data", self.osm_data))


@dataclass(frozen=True, kw_only=True)
class ReportOptions(_PageOptions):
    """How :func:`~lifecircle.maps.write_report` writes the committee report.

    Parameters
    ----------
    service : str, optional
        Which service colours the maps (default: the result's first service).
    lang, basemap, tianditu_key, data_date, extent, extent_crs :
        As in :class:`MapOptions`, for the whole page and its maps.
    title : str, optional
        The page title (default: "15-minute life circle report" in ``lang``).
    date : str or datetime.date, optional
        The report's date (default: today).
    target_share : float, optional
        The share each grid is judged against when there are no study targets (default:
        the result's ``target_share``, see
        :data:`~lifecircle.coverage.options.DEFAULT_TARGET_SHARE`); a share in (0, 1].
    sources : str or sequence of str
        Extra attribution lines (a single string is one line).
    static_map : bool, default True
        Include the static image shown when printing.

    Raises
    ------
    lifecircle.errors.OptionError
        (a ``ValueError``) as for :class:`MapOptions`, or a ``target_share`` outside (0, 1].
    lifecircle.errors.OptionTypeError
        (a ``TypeError``) for a value of the wrong type.
    """

    service: str | None = None
    title: str | None = None
    date: str | dt.date | None = None
    target_share: float | None = None
    sources: Sequence[str] = ()
    static_map: bool = True

    def __post_init__(self) -> None:
        check_text("service", self.service)
        super().__post_init__()
        check_text("title", self.title)
        if self.date is not None and not isinstance(self.date, str | dt.date):
            raise OptionTypeError(
                f"date must be text or a datetime.date, got {self.date!r}",
                option="date", value=self.date, expected="a date",
            )  # fmt: skip
        if self.target_share is not None:
            share = check_number("target_share", self.target_share, at_most=1)
            object.__setattr__(self, "target_share", share)
        lines = (self.sources,) if isinstance(self.sources, str) else tuple(self.sources)
        object.__setattr__(self, "sources", tuple(str(line) for line in lines))
        object.__setattr__(self, "static_map", check_flag("static_map", self.static_map))

    def map_options(self, service: str) -> MapOptions:
        """The options of the report's maps, colouring ``service``."""
        return MapOptions(
            service=service,
            lang=self.lang,
            basemap=self.basemap,
            tianditu_key=self.tianditu_key,
            data_date=self.data_date,
            extent=self.extent,
            extent_crs=self.extent_crs,
        )


def _check_size(option: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise OptionTypeError(
            f"{option} must be a CSS size such as '100%' or a number of pixels, got {value!r}",
            option=option, value=value, expected="a size",
        )  # fmt: skip
