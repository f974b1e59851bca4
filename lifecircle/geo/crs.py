"""Coordinate reference systems, including China's GCJ-02 and BD-09 datums.

Chinese web maps do not publish WGS-84 coordinates. AMap (高德), Tencent and
most government portals use **GCJ-02** (国测局坐标, "火星坐标"): WGS-84 shifted
by a published obfuscation polynomial. Baidu uses **BD-09**: GCJ-02 with a
further small rotation and scaling around the origin. Read as WGS-84, both put
points a few hundred metres off. In central Shanghai the GCJ-02 shift is about
+0.0044° lon / -0.0020° lat (≈ 470 m). BD-09 adds about +0.0065° / +0.0062°
on top, so the total BD-09 shift is ≈ 1.1–1.2 km. Either is enough to put a
bench on the wrong side of a street block.

Method
------
- **WGS-84 → GCJ-02** uses the published polynomial in ``(lon - 105, lat - 35)``
  with sine terms, scaled to degrees on the Krasovsky ellipsoid
  (a = 6378245 m, e² = 0.00669342162296594323).
- **GCJ-02 → WGS-84** has no closed form. It is solved by vectorised
  fixed-point iteration ``w ← w - (gcj(w) - g)``, starting from ``w = g``. The
  offset's Jacobian is small (contraction factor < 0.007 over China), so each
  step gains more than two digits. The loop stops once the residual
  ``|gcj(w) - g|`` is below 1e-6°, after the update that follows it. Three
  steps from a ~5e-3° start therefore leave < 1e-8° (≈ 1 mm), well under the
  1e-7° (≈ 1 cm) target. Points that converge drop out of the loop.
- **GCJ-02 → BD-09** uses the published transform with x_pi = π·3000/180:
  ``z = hypot(x, y) + 2e-5·sin(y·x_pi)``, ``θ = atan2(y, x) + 3e-6·cos(x·x_pi)``,
  ``(z·cos θ + 0.0065, z·sin θ + 0.006)``.
- **BD-09 → GCJ-02** starts from the usual closed-form approximate inverse. On
  its own that leaves a round-trip error of up to 2e-6° (≈ 20 cm). One or two
  fixed-point refinement steps then make it the inverse of the forward
  transform to ~1e-8°.

Accuracy
--------
Over a lattice and a million random points covering China, the round trip
WGS-84 → GCJ-02 → WGS-84 comes back within 4e-9° (< 1 mm). BD-09 → GCJ-02 →
BD-09 and WGS-84 → BD-09 → WGS-84 come back within 1.1e-8° (~1 mm). The
formulas are a public reimplementation of the datums, not an official library.
An independent check against OSM footprints in Jing'an
(``tests/test_realdata_offsets.py``) agrees to the tens of metres expected from
geocoded addresses.

Speed
-----
Every sine of the GCJ-02 polynomial is built from sin/cos of π·x/120 and π·y/120
by double-, triple-angle and addition identities (three ``sin`` calls per point),
and inverse iterations after the first rotate those sines by the tiny step with
a Taylor polynomial instead of calling ``sin`` again. BD-09's rotation is applied
with ``x/r``, ``y/r`` and a Taylor polynomial of its 3e-6 rad angle instead of
``atan2``/``cos``/``sin``. Arrays are processed in cache-sized blocks of 16,384
points. On a million points (``benchmarks/bench_crs.py``): WGS-84 → GCJ-02
≈ 0.1 s, GCJ-02 → WGS-84 ≈ 0.3 s, BD-09 → WGS-84 ≈ 0.4 s.

Where GCJ-02 applies
--------------------
GCJ-02 leaves a point unchanged when it is outside mainland China. "Inside" is
tested with the customary bounding box: lon 72.004–137.8347,
lat 0.8293–55.8271 (:data:`CHINA_BBOX`). This box also covers Taiwan, Hong
Kong, Macau and parts of neighbouring countries (Korea, western Japan,
Mongolia, northern South-East Asia), where real GCJ-02 data would be unusual.
Use a polygon test before these functions if that matters. BD-09 is applied
everywhere: it is defined as a transform of GCJ-02.

CGCS2000
--------
CGCS2000 (EPSG:4490) and WGS-84 differ by centimetres. :func:`to_wgs84`
therefore relabels EPSG:4490 data as EPSG:4326 without moving it. Projected
CGCS2000 CRSs, such as the 3-degree Gauss–Krüger zones EPSG:4513–4554, are
unprojected with pyproj and then relabelled the same way.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Callable
from typing import Literal

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike

from lifecircle.errors import CoordinateWarning, CRSError
from lifecircle.geo.datums import (
    CHINA_BBOX,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from lifecircle.typing import BoolArray, Bounds, CRSLike, FloatArray, GeometryArray

__all__ = [
    "CHINA_BBOX",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "check_coordinates",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "parse_crs",
    "to_wgs84",
    "utm_crs_for",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

logger = logging.getLogger(__name__)

_CGCS2000_EPSG = 4490

ParsedCRS = Literal["gcj02", "bd09"] | pyproj.CRS

_GCJ_ALIASES = {"gcj02", "gcj", "gcj02ll", "火星坐标", "火星坐标系", "国测局", "国测局坐标", "高德"}
_BD_ALIASES = {"bd09", "bd", "bd09ll", "baidu", "百度", "百度坐标", "百度坐标系"}
_WGS_ALIASES = {"wgs84", "wgs", "gps"}
_CGCS_ALIASES = {"cgcs2000", "cgcs"}


# --------------------------------------------------------------------------- CRS parsing
def _normalise_name(value: str) -> str:
    return re.sub(r"[\s\-_:.]", "", value.strip().lower())


def parse_crs(crs: object) -> ParsedCRS | None:
    """Interpret a user-supplied CRS, including the Chinese web-map datums.

    Parameters
    ----------
    crs : object
        ``None``; ``"gcj02"`` (also ``"GCJ-02"``, ``"gcj-02"``, ``"火星坐标"``,
        ``"高德"``); ``"bd09"`` (also ``"BD-09"``, ``"百度"``, ``"baidu"``);
        ``"wgs84"``, ``"cgcs2000"``; or anything pyproj accepts: an EPSG integer,
        ``"EPSG:4549"``, a WKT or PROJ string, a :class:`pyproj.CRS`.

    Returns
    -------
    "gcj02", "bd09", pyproj.CRS or None
        ``None`` when ``crs`` is ``None`` (the caller decides the default).

    Raises
    ------
    lifecircle.errors.CRSError
        When the value is not a known CRS; the message names the value.
    """
    if crs is None:
        return None
    if isinstance(crs, pyproj.CRS):
        return crs
    if isinstance(crs, bool):
        raise CRSError(
            f"unknown CRS {crs!r}: expected an EPSG code, a CRS string or 'gcj02'/'bd09'"
        )
    if isinstance(crs, str):
        name = _normalise_name(crs)
        if not name:
            raise CRSError(f"unknown CRS {crs!r}: the string is empty")
        if name in _GCJ_ALIASES:
            return "gcj02"
        if name in _BD_ALIASES:
            return "bd09"
        if name in _WGS_ALIASES:
            return pyproj.CRS.from_epsg(4326)
        if name in _CGCS_ALIASES:
            return pyproj.CRS.from_epsg(_CGCS2000_EPSG)
    try:
        parsed = pyproj.CRS.from_user_input(crs)
        pyproj.Transformer.from_crs(parsed, 4326)  # "mars2000" parses, but is not on Earth
        return parsed
    except (pyproj.exceptions.ProjError, TypeError, ValueError) as exc:
        raise CRSError(
            f"unknown CRS {crs!r}: expected an EPSG code (e.g. 4326, 'EPSG:4549'), WKT, "
            f"a pyproj.CRS, 'gcj02' (火星坐标) or 'bd09' (百度) ({exc})"
        ) from exc


# --------------------------------------------------------------------------- GeoDataFrames
def _transform_geoms(
    geoms: GeometryArray, func: Callable[[ArrayLike, ArrayLike], tuple[FloatArray, FloatArray]]
) -> GeometryArray:
    def apply(coords: FloatArray) -> FloatArray:
        out = coords.copy()
        out[:, 0], out[:, 1] = func(coords[:, 0], coords[:, 1])
        return out

    moved: GeometryArray = shapely.transform(geoms, apply, include_z=None)
    return moved


def _non_degree_vertex(gdf: gpd.GeoDataFrame) -> tuple[float, float] | None:
    """The first vertex outside lon ±180 / lat ±90, or None when all look like degrees."""
    coords = shapely.get_coordinates(gdf.geometry.to_numpy())
    bad = np.flatnonzero((np.abs(coords[:, 0]) > 180.0) | (np.abs(coords[:, 1]) > 90.0))
    if bad.size == 0:
        return None
    x, y = coords[bad[0]]
    return float(x), float(y)


def _is_cgcs2000_geographic(crs: pyproj.CRS) -> bool:
    return crs.is_geographic and crs.to_epsg() == _CGCS2000_EPSG


def to_wgs84(
    gdf: gpd.GeoDataFrame, crs: CRSLike | None = None, *, source: str = "<DataFrame>"
) -> gpd.GeoDataFrame:
    """Return a new GeoDataFrame in WGS-84 (EPSG:4326), undoing GCJ-02/BD-09 if asked.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer; it is not modified.
    crs : pyproj.CRS, str or int, optional
        What the coordinates really are (see :func:`parse_crs`). An explicit
        value overrides ``gdf.crs``: a GeoJSON from AMap says EPSG:4326 but
        holds GCJ-02, so pass ``crs="gcj02"``. ``None`` uses ``gdf.crs``.
        When that is missing too, degree-like coordinates are taken as
        EPSG:4326.
    source : str
        File name used in error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with every vertex of every geometry type converted, ``crs`` EPSG:4326.
        CGCS2000 (EPSG:4490) is relabelled without moving; the difference is centimetres.

    Raises
    ------
    lifecircle.errors.CRSError
        When there is no CRS and the coordinates look projected, when ``crs``
        is unknown, or when ``gcj02``/``bd09`` data are not in degrees.
    TypeError
        When ``gdf`` is not a GeoDataFrame.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"{source}: expected a GeoDataFrame, got {type(gdf).__name__}")
    parsed = parse_crs(crs) if crs is not None else gdf.crs
    out = gdf.copy()
    if parsed is None:
        sample = _non_degree_vertex(gdf)
        if sample is not None:
            raise CRSError(
                f"{source}: the layer has no CRS and its coordinates look projected, not "
                f"lon/lat degrees (e.g. x={sample[0]:.1f}, y={sample[1]:.1f}); pass crs=, e.g. "
                "crs='EPSG:4549' (CGCS2000 / 3-degree Gauss-Kruger CM 120E) or crs=32651 (UTM 51N)"
            )
        logger.info("%s: no CRS; coordinates look like degrees, assuming EPSG:4326", source)
        return out.set_crs(4326, allow_override=True)
    if isinstance(parsed, str):
        sample = _non_degree_vertex(gdf)
        if sample is not None:
            raise CRSError(
                f"{source}: crs={crs!r} is a lon/lat datum, but coordinates are not degrees "
                f"(e.g. x={sample[0]:.1f}, y={sample[1]:.1f})"
            )
        func = gcj02_to_wgs84 if parsed == "gcj02" else bd09_to_wgs84
        geoms = _transform_geoms(gdf.geometry.to_numpy(), func)
        out = out.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=4326))
        return out.set_crs(4326, allow_override=True)
    out = out.set_crs(parsed, allow_override=True)
    if _is_cgcs2000_geographic(parsed):
        return out.set_crs(4326, allow_override=True)
    geodetic = parsed.geodetic_crs
    if parsed.is_projected and geodetic is not None and _is_cgcs2000_geographic(geodetic):
        return out.to_crs(geodetic).set_crs(4326, allow_override=True)
    return out.to_crs(4326)


def utm_crs_for(gdf_or_bounds: gpd.GeoDataFrame | tuple[float, float, float, float]) -> pyproj.CRS:
    """Return the WGS-84 / UTM CRS (metres) for the centre of an extent.

    Parameters
    ----------
    gdf_or_bounds : geopandas.GeoDataFrame or tuple of float
        A layer (any CRS; no CRS means degrees) or WGS-84 bounds
        ``(min_lon, min_lat, max_lon, max_lat)``.

    Returns
    -------
    pyproj.CRS
        E.g. EPSG:32651 (UTM zone 51N) for Shanghai.

    Raises
    ------
    lifecircle.errors.CRSError
        For an empty layer or bounds that are not finite lon/lat degrees.
    """
    if isinstance(gdf_or_bounds, gpd.GeoDataFrame):
        gdf = gdf_or_bounds
        if gdf.crs is not None and not gdf.crs.equals(pyproj.CRS.from_epsg(4326)):
            gdf = gdf.to_crs(4326)
        bounds = tuple(float(v) for v in gdf.total_bounds)
    else:
        bounds = tuple(float(v) for v in gdf_or_bounds)
    if len(bounds) != 4 or not all(np.isfinite(bounds)):
        raise CRSError(f"cannot choose a UTM zone for bounds {bounds!r}: empty or not finite")
    min_lon, min_lat, max_lon, max_lat = bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise CRSError(
            f"cannot choose a UTM zone for bounds {bounds!r}: expected WGS-84 "
            "(min_lon, min_lat, max_lon, max_lat) in degrees"
        )
    lon, lat = (min_lon + max_lon) / 2.0, (min_lat + max_lat) / 2.0
    # The standard 6-degree zone formula (no Norway/Svalbard exceptions, like pyproj's
    # query_utm_crs_info); that query scans the PROJ database and costs ~0.2 s per call.
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return _utm_crs(32600 + zone if lat >= 0 else 32700 + zone)


@functools.lru_cache(maxsize=128)
def _utm_crs(epsg: int) -> pyproj.CRS:
    return pyproj.CRS.from_epsg(epsg)


# --------------------------------------------------------------------------- plausibility checks
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQUATOR = 111.320
_OFFSET_SAMPLE = 2000
_OFFSET_MIN_POINTS = 5
# Datum-offset test (see check_coordinates): the lower quartile of nearest distances must be
# >= 20 m raw and shrink >= 3x (after adding 5 m to both, so 0 m does not divide by zero), and
# the median must shrink >= 1.25x. Measured on Jing'an heritage points vs OSM heritage features.
_OFFSET_MIN_RAW_Q25_M = 20.0
_OFFSET_SOFTEN_M = 5.0
_OFFSET_MIN_FACTOR = 3.0
_OFFSET_MIN_MEDIAN_GAIN = 1.25


def _as_wgs84_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is not None and not gdf.crs.is_geographic:
        return gdf.to_crs(4326)
    return gdf


def _anchor_coords(gdf: gpd.GeoDataFrame) -> tuple[FloatArray, FloatArray]:
    """One (x, y) per feature: the centre of its bounds (the point itself for points)."""
    bounds = shapely.bounds(gdf.geometry.to_numpy())
    return (bounds[:, 0] + bounds[:, 2]) / 2.0, (bounds[:, 1] + bounds[:, 3]) / 2.0


def _example(gdf: gpd.GeoDataFrame, mask: BoolArray, x: FloatArray, y: FloatArray) -> str:
    i = int(np.flatnonzero(mask)[0])
    ident = gdf["id"].iloc[i] if "id" in gdf.columns else None
    # the id when the layer has one, else the feature's number counted from 1 (not the
    # frame's index, which starts at 0 and may be anything)
    where = f"id '{ident}'" if isinstance(ident, str) and ident else f"feature {i + 1}"
    return f"{where} at x={x[i]:.6g}, y={y[i]:.6g}"


def _swapped_message(
    gdf: gpd.GeoDataFrame, source: str, x: FloatArray, y: FloatArray, swapped: BoolArray
) -> str:
    china = (y >= 73) & (y <= 136) & (x >= 3) & (x <= 54)
    hint = (
        "the values fit China (longitude 73–136, latitude 3–54) with the axes swapped"
        if china[swapped].all()
        else "latitude beyond ±90 while longitude is within ±90"
    )
    return (
        f"{source}: {int(swapped.sum())} of {len(gdf)} features look like latitude/longitude "
        f"swapped ({_example(gdf, swapped, x, y)}): {hint} — put longitude (x) first"
    )


def _reference_bounds(reference: gpd.GeoDataFrame | Bounds) -> Bounds | None:
    if isinstance(reference, gpd.GeoDataFrame):
        values = [float(v) for v in _as_wgs84_frame(reference).total_bounds]
    else:
        values = [float(v) for v in reference]
        if len(values) != 4:
            raise TypeError(f"reference bounds must be (minx, miny, maxx, maxy), got {reference!r}")
    min_x, min_y, max_x, max_y = values
    return (min_x, min_y, max_x, max_y) if all(np.isfinite(values)) else None


def _km_outside(x: FloatArray, y: FloatArray, bounds: Bounds) -> FloatArray:
    """Approximate km from each point to the box ``bounds`` (0 inside; equirectangular)."""
    min_x, min_y, max_x, max_y = bounds
    dx = np.maximum(np.maximum(min_x - x, x - max_x), 0.0)
    dy = np.maximum(np.maximum(min_y - y, y - max_y), 0.0)
    km_per_deg_lon = _KM_PER_DEG_LON_EQUATOR * np.cos(np.radians((min_y + max_y) / 2.0))
    km: FloatArray = np.hypot(dx * km_per_deg_lon, dy * _KM_PER_DEG_LAT)
    return km


def _nearest_quartiles_m(
    tree: shapely.STRtree, lon: FloatArray, lat: FloatArray, to_utm: pyproj.Transformer
) -> tuple[float, float]:
    """Lower quartile and median of the distances (m) from each point to its nearest geometry."""
    ux, uy = to_utm.transform(lon, lat)
    _, dist = tree.query_nearest(shapely.points(ux, uy), return_distance=True, all_matches=False)
    q25, q50 = np.percentile(dist, [25, 50])
    return float(q25), float(q50)


def _offset_message(
    source: str, lon: FloatArray, lat: FloatArray, reference: gpd.GeoDataFrame
) -> str | None:
    """Compare nearest distances to ``reference`` raw vs GCJ-02/BD-09 undone."""
    ref = _as_wgs84_frame(reference)
    ref_geoms = ref.geometry.to_numpy()
    ref_geoms = ref_geoms[~(shapely.is_missing(ref_geoms) | shapely.is_empty(ref_geoms))]
    if len(lon) < _OFFSET_MIN_POINTS or len(ref_geoms) == 0:
        return None
    if len(lon) > _OFFSET_SAMPLE:
        pick = np.sort(np.random.default_rng(0).choice(len(lon), _OFFSET_SAMPLE, replace=False))
        lon, lat = lon[pick], lat[pick]
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in ref.total_bounds)
    utm = utm_crs_for((min_lon, min_lat, max_lon, max_lat))
    to_utm = pyproj.Transformer.from_crs(4326, utm, always_xy=True)
    tree = shapely.STRtree(gpd.GeoSeries(ref_geoms, crs=ref.crs or 4326).to_crs(utm).to_numpy())
    raw = _nearest_quartiles_m(tree, lon, lat, to_utm)
    gcj = _nearest_quartiles_m(tree, *gcj02_to_wgs84(lon, lat), to_utm)
    bd = _nearest_quartiles_m(tree, *bd09_to_wgs84(lon, lat), to_utm)
    logger.debug(
        "%s: nearest-distance (q25, median) m raw=%s gcj02=%s bd09=%s", source, raw, gcj, bd
    )
    name, best = ("GCJ-02", gcj) if gcj <= bd else ("BD-09", bd)
    quartile_gain = (raw[0] + _OFFSET_SOFTEN_M) / (best[0] + _OFFSET_SOFTEN_M)
    if (
        raw[0] < _OFFSET_MIN_RAW_Q25_M
        or quartile_gain < _OFFSET_MIN_FACTOR
        or best[1] * _OFFSET_MIN_MEDIAN_GAIN > raw[1]
    ):
        return None
    code = "gcj02" if name == "GCJ-02" else "bd09"
    return (
        f"{source}: looks like {name} read as WGS-84: median offset {raw[1]:.0f} m to the "
        f"nearest reference feature, {best[1]:.0f} m after {name} -> WGS-84 conversion (lower "
        f"quartile {raw[0]:.0f} m -> {best[0]:.0f} m) — pass crs='{code}'"
    )


def check_coordinates(
    gdf: gpd.GeoDataFrame,
    *,
    source: str,
    reference: gpd.GeoDataFrame | Bounds | None = None,
    max_outside_km: float = 5.0,
) -> list[str]:
    """Warn about coordinates that are probably wrong, and say why.

    Three checks, each emitting one :class:`~lifecircle.errors.CoordinateWarning`:

    - **swapped axes**: latitude beyond ±90 while longitude is within ±90,
      e.g. y in 73–136 and x in 3–54 is China with lat/lon swapped;
    - **far away**: features more than ``max_outside_km`` outside the extent
      of ``reference`` (approximate km, equirectangular);
    - **datum offset**: with a WGS-84 ``reference`` GeoDataFrame (OSM footprints,
      landmarks, a street network), the distance from each feature (centre of
      its bounds; at most 2,000 sampled, seeded) to the nearest reference
      geometry is measured in local UTM metres as-is, after GCJ-02 -> WGS-84
      and after BD-09 -> WGS-84. A layer in the wrong datum has few features
      right on the reference: the lower quartile of distances is >= 20 m and
      the right conversion cuts it at least threefold, and cuts the median by
      at least 1.25x. (The median alone is too weak. Many features have no
      counterpart in the reference, so even a correct layer has a median
      nearest distance of 60–120 m in Jing'an.) A dense street grid is a poor
      reference, because every point lands near *some* street.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer, in lon/lat degrees (a projected ``gdf.crs`` is unprojected first).
    source : str
        File name used in the messages.
    reference : geopandas.GeoDataFrame or tuple of float, optional
        The other layers (any CRS), or WGS-84 bounds ``(minx, miny, maxx, maxy)``.
    max_outside_km : float
        Distance beyond the reference extent above which a feature is "far away".

    Returns
    -------
    list of str
        The messages warned about (empty when nothing looks wrong).
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"{source}: expected a GeoDataFrame, got {type(gdf).__name__}")
    frame = _as_wgs84_frame(gdf)
    x, y = _anchor_coords(frame)
    finite = np.isfinite(x) & np.isfinite(y)
    swapped = finite & (np.abs(y) > 90) & (np.abs(x) <= 90)
    not_degrees = finite & ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
    usable = finite & ~swapped & ~not_degrees
    messages = []
    if swapped.any():
        messages.append(_swapped_message(frame, source, x, y, swapped))
    if not_degrees.any():
        messages.append(
            f"{source}: {int(not_degrees.sum())} of {len(frame)} features are not lon/lat "
            f"degrees ({_example(frame, not_degrees, x, y)}) — projected data without a CRS? "
            "pass crs="
        )
    bounds = _reference_bounds(reference) if reference is not None else None
    if bounds is not None:
        km = np.where(usable, _km_outside(x, y, bounds), 0.0)
        far = km > max_outside_km
        if far.any():
            messages.append(
                f"{source}: {int(far.sum())} of {len(frame)} features lie far outside the other "
                f"layers (up to {km.max():.1f} km beyond their extent; "
                f"{_example(frame, far, x, y)}) — wrong file, wrong CRS or a coordinate typo?"
            )
        usable &= ~far
    if isinstance(reference, gpd.GeoDataFrame):
        near_china = usable & in_china(x, y)
        message = _offset_message(source, x[near_china], y[near_china], reference)
        if message is not None:
            messages.append(message)
    for message in messages:
        warnings.warn(message, CoordinateWarning, stacklevel=2)
    return messages
