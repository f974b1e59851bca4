"""GCJ-02 / BD-09 <-> WGS-84 datum formulas, vectorised with numpy.

Each function takes ``(lon, lat)`` array-likes and returns a ``(lon, lat)`` pair of float64
arrays. Method, accuracy and the China test are documented in :mod:`lifecircle.geo.crs`,
which re-exports these functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CHINA_BBOX",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

logger = logging.getLogger(__name__)

Array = NDArray[np.float64]

#: ``(min_lon, min_lat, max_lon, max_lat)`` of the region where GCJ-02 applies.
CHINA_BBOX: tuple[float, float, float, float] = (72.004, 0.8293, 137.8347, 55.8271)

_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
# Fixed-point iteration stops once the residual |forward(w) - target| is below this. The
# step just taken shrinks the error by the contraction factor (< 0.01 for both datums, measured
# over China), so the returned point is within ~1e-8 deg (~1 mm): 4e-9 measured for GCJ-02.
_STOP_RESIDUAL_DEG = 1e-6
_MAX_ITER = 30


def _as_float_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    lon_a, lat_a = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_a, lat_a


def _in_china(lon: Array, lat: Array) -> NDArray[np.bool_]:
    min_lon, min_lat, max_lon, max_lat = CHINA_BBOX
    return (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat)


def _gcj_offset(lon: Array, lat: Array) -> tuple[Array, Array]:
    """GCJ-02 minus WGS-84 in degrees at WGS-84 ``(lon, lat)``, ignoring the China test.

    The published polynomial is ``-100 + 2x + 3y + 0.2y² + 0.1xy + 0.2√|x| + ⅔(20 sin 6πx +
    20 sin 2πx) + ⅔(20 sin πy + 40 sin πy/3) + ⅔(160 sin πy/12 + 320 sin πy/30)`` metres-ish
    northwards and ``300 + x + 2y + 0.1x² + 0.1xy + 0.1√|x| + ⅔(20 sin 6πx + 20 sin 2πx) +
    ⅔(20 sin πx + 40 sin πx/3) + ⅔(150 sin πx/12 + 300 sin πx/30)`` eastwards, with
    ``x = lon - 105``, ``y = lat - 35``. sin πx, sin 2πx, sin 6πx and sin πy come from
    sin/cos of π/3 multiples by the double- and triple-angle identities (8 instead of 13
    transcendental calls; identical to 1e-16 relative).
    """
    pi = np.pi
    x = lon - 105.0
    y = lat - 35.0
    a = x * (pi / 3.0)
    s3x = np.sin(a)
    c3x = np.cos(a)
    s1x = s3x * (3.0 - 4.0 * s3x * s3x)  # sin(pi x)
    c1x = c3x * (4.0 * c3x * c3x - 3.0)  # cos(pi x)
    s2x = 2.0 * s1x * c1x  # sin(2 pi x)
    s6x = s2x * (3.0 - 4.0 * s2x * s2x)  # sin(6 pi x)
    s3y = np.sin(y * (pi / 3.0))
    s1y = s3y * (3.0 - 4.0 * s3y * s3y)  # sin(pi y)
    shared = (40.0 / 3.0) * (s6x + s2x) - 100.0
    xy = 0.1 * x * y
    sqrt_x = np.sqrt(np.abs(x))
    north = (40.0 / 3.0) * s1y + (80.0 / 3.0) * s3y
    north += (320.0 / 3.0) * np.sin(y * (pi / 12.0)) + (640.0 / 3.0) * np.sin(y * (pi / 30.0))
    north += shared + 2.0 * x + 3.0 * y + 0.2 * y * y + xy + 0.2 * sqrt_x
    east = (40.0 / 3.0) * s1x + (80.0 / 3.0) * s3x
    east += 100.0 * np.sin(x * (pi / 12.0)) + 200.0 * np.sin(x * (pi / 30.0))
    east += shared + 400.0 + x + 2.0 * y + 0.1 * x * x + xy + 0.1 * sqrt_x
    # to degrees on the Krasovsky ellipsoid: meridian radius a(1-e²)/W³, parallel a·cosφ/W
    sin_phi = np.sin(lat * (pi / 180.0))
    magic = 1.0 - _KRASOVSKY_EE * sin_phi * sin_phi  # W²
    sqrt_magic = np.sqrt(magic)
    cos_phi = np.sqrt(1.0 - sin_phi * sin_phi)  # |lat| < 90 inside China
    dlat = north * (magic * sqrt_magic * 180.0 / (_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) * pi))
    dlon = east * (sqrt_magic * 180.0 / (_KRASOVSKY_A * pi)) / cos_phi
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """Convert WGS-84 longitudes/latitudes to GCJ-02 (火星坐标).

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 degrees (float64, broadcast shape). Points outside
        :data:`CHINA_BBOX` and NaNs come back unchanged.
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    inside = _in_china(lon_a, lat_a)
    if inside.all():
        dlon, dlat = _gcj_offset(lon_a, lat_a)
        return lon_a + dlon, lat_a + dlat
    out_lon, out_lat = lon_a.copy(), lat_a.copy()
    if inside.any():
        dlon, dlat = _gcj_offset(lon_a[inside], lat_a[inside])
        out_lon[inside] += dlon
        out_lat[inside] += dlat
    return out_lon, out_lat


def _invert(
    forward: Callable[[Array, Array], tuple[Array, Array]],
    target_lon: Array,
    target_lat: Array,
    start_lon: Array,
    start_lat: Array,
) -> tuple[Array, Array]:
    """Solve ``forward(w) == target`` by fixed-point iteration from ``start`` (vectorised)."""
    lon, lat = start_lon.ravel().copy(), start_lat.ravel().copy()
    t_lon, t_lat = target_lon.ravel(), target_lat.ravel()
    active: NDArray[np.intp] | slice = slice(None)  # all points, without copying
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(lon[active], lat[active])
        r_lon = f_lon - t_lon[active]
        r_lat = f_lat - t_lat[active]
        lon[active] -= r_lon
        lat[active] -= r_lat
        # NaN residuals (NaN input) compare False and leave the loop at once
        still = (np.abs(r_lon) > _STOP_RESIDUAL_DEG) | (np.abs(r_lat) > _STOP_RESIDUAL_DEG)
        active = np.flatnonzero(still) if isinstance(active, slice) else active[still]
        if active.size == 0:
            break
    if not isinstance(active, slice) and active.size:
        logger.warning("%d points did not converge", active.size)
    return lon.reshape(start_lon.shape), lat.reshape(start_lat.shape)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """Convert GCJ-02 longitudes/latitudes to WGS-84 (iterative exact inverse).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 degrees such that ``wgs84_to_gcj02`` maps them back to the input
        within 1e-8°. Points outside :data:`CHINA_BBOX` and NaNs are unchanged.
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lon_a, lat_a, lon_a, lat_a)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """Convert GCJ-02 longitudes/latitudes to Baidu BD-09.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 degrees (the transform applies everywhere, not only in China).
    """
    x, y = _as_float_arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_closed_form(lon: Array, lat: Array) -> tuple[Array, Array]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """Convert Baidu BD-09 longitudes/latitudes to GCJ-02.

    The published closed-form inverse is refined by fixed-point iteration, so
    the result is the inverse of :func:`gcj02_to_bd09` to ~1e-8°.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 degrees.
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    start_lon, start_lat = _bd09_to_gcj02_closed_form(lon_a, lat_a)
    return _invert(gcj02_to_bd09, lon_a, lat_a, start_lon, start_lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """Convert Baidu BD-09 longitudes/latitudes to WGS-84 (via GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 degrees.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """Convert WGS-84 longitudes/latitudes to Baidu BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 degrees.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
