"""Street basemaps and the datum their tiles use.

=========  ===========  =====================================================
basemap    tile datum   notes
=========  ===========  =====================================================
None       —            default; no tiles, no request (the demo is synthetic)
"osm"      WGS-84       OpenStreetMap standard tiles (© OpenStreetMap contributors)
"tianditu" CGCS2000     天地图 vector tiles + labels; needs a user key
                        (``tianditu_key=``); CGCS2000 ≈ WGS-84 at map scale
"amap"     GCJ-02       高德 (Gaode) tiles; ``"gaode"`` is an alias. Every geometry is
                        shifted into GCJ-02 for display so it lines up with the tiles
=========  ===========  =====================================================
"""

from __future__ import annotations

import logging
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from lifecircle.errors import OptionError

__all__ = ["BASEMAPS", "add_basemap", "check_basemap", "is_tianditu_key", "to_display"]

logger = logging.getLogger(__name__)

BASEMAPS = (None, "osm", "tianditu", "amap", "gaode")

_OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
_OSM_ATTR = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
_TDT_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={key}"
)
_TDT_ATTR = "© 天地图 Tianditu (国家地理信息公共服务平台)"
_AMAP_URL = (
    "https://webrd0{{s}}.is.autonavi.com/appmaptile?lang={lang}&size=1&scale=1&style=8"
    "&x={{x}}&y={{y}}&z={{z}}"
)
_AMAP_ATTR = "© 高德地图 AutoNavi"


def is_tianditu_key(key: str) -> bool:
    """Whether ``key`` looks like a Tianditu API key: letters and digits only.

    The key goes into every tile URL, so nothing else may reach the page.
    """
    return key.isascii() and key.isalnum()


def check_basemap(basemap: str | None, *, tianditu_key: str | None = None) -> str | None:
    """Validate ``basemap`` and return its canonical name (``"gaode"`` -> ``"amap"``).

    Raises
    ------
    lifecircle.errors.OptionError
        (a ``ValueError``) for an unknown basemap, or Tianditu without a usable key.
    """
    if basemap not in BASEMAPS:
        raise OptionError(
            f"basemap must be one of None, 'osm', 'tianditu', 'amap', got {basemap!r}",
            option="basemap", value=basemap, expected="one of none, osm, tianditu, amap, gaode",
        )  # fmt: skip
    if basemap == "tianditu" and not tianditu_key:
        raise OptionError(
            "basemap='tianditu' needs a Tianditu key: pass tianditu_key='...'",
            option="tianditu_key", value=tianditu_key, expected="a Tianditu key",
        )  # fmt: skip
    if basemap == "tianditu" and not is_tianditu_key(str(tianditu_key)):
        raise OptionError(
            f"tianditu_key must be letters and digits (a Tianditu API key), got {tianditu_key!r}",
            option="tianditu_key", value=tianditu_key, expected="letters and digits",
        )  # fmt: skip
    return "amap" if basemap == "gaode" else basemap


def add_basemap(
    m: folium.Map, basemap: str | None, *, lang: str = "zh", tianditu_key: str | None = None
) -> None:
    """Add the tile layer(s) of ``basemap`` to ``m`` (nothing for ``None``).

    Parameters
    ----------
    m : folium.Map
        The map.
    basemap : {None, "osm", "tianditu", "amap", "gaode"}
        Which tiles; see the module documentation.
    lang : {"zh", "en"}
        Label language of the tiles where the provider offers one.
    tianditu_key : str, optional
        Tianditu API key (required for ``"tianditu"``).
    """
    basemap = check_basemap(basemap, tianditu_key=tianditu_key)
    if basemap is None:
        return
    layers: list[tuple[str, str, str, str | None]]
    if basemap == "osm":
        layers = [(_OSM_URL, _OSM_ATTR, "OpenStreetMap", None)]
    elif basemap == "tianditu":
        key = str(tianditu_key)
        layers = [
            (
                _TDT_URL.replace("{layer}", "vec").replace("{key}", key),
                _TDT_ATTR,
                "天地图",
                "01234567",
            ),
            (
                _TDT_URL.replace("{layer}", "cva" if lang == "zh" else "eva").replace("{key}", key),
                _TDT_ATTR,
                "天地图注记",
                "01234567",
            ),
        ]
    else:
        url = _AMAP_URL.format(lang="zh_cn" if lang == "zh" else "en")
        layers = [(url, _AMAP_ATTR, "高德 AMap", "1234")]
    for i, (url, attr, name, subdomains) in enumerate(layers):
        extra: dict[str, Any] = {"subdomains": subdomains} if subdomains else {}
        folium.TileLayer(
            tiles=url, attr=attr, name=name, overlay=i > 0, control=False, max_zoom=19, **extra
        ).add_to(m)
    logger.info("basemap %s added (the map will request tiles online)", basemap)


def to_display(frame: gpd.GeoDataFrame, basemap: str | None) -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:4326, shifted to GCJ-02 when the tiles use it.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Any layer with a CRS.
    basemap : str or None
        Canonical basemap name (see :func:`check_basemap`).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:4326 (labelled so, although GCJ-02 coordinates are not WGS-84
        when shifted: they are for display only).
    """
    out = frame.to_crs(4326) if frame.crs is not None else frame.set_crs(4326)
    if basemap != "amap" or out.empty:
        return out.copy()
    from lifecircle.geo.crs import wgs84_to_gcj02

    def _shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)])

    out = out.copy()
    out.geometry = gpd.GeoSeries(
        shapely.transform(out.geometry.to_numpy(), _shift), index=out.index, crs=4326
    )
    return out
