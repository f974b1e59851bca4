"""GCJ-02 / BD-09 <-> WGS-84 datum formulas, vectorised with numpy.

Each function takes ``(lon, lat)`` array-likes and returns a ``(lon, lat)`` pair of float64
arrays. Method, accuracy and the China test are documented in :mod:`lifecircle.geo.crs`,
which re-exports these functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from lifecircle.typing import BoolArray, FloatArray, IndexArray

__all__ = [
    "CHINA_BBOX",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

logger = logging.getLogger(__name__)

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
_DEG = np.pi / 180.0
# degrees -> the base angle pi*v/120 from which every sine of the GCJ-02 polynomial is built
_BASE = np.pi / 120.0


class _Sines(NamedTuple):
    """sin/cos of the base angles π·x/120, π·y/120 (x = lon - 105, y = lat - 35) and φ."""

    sx: FloatArray
    cx: FloatArray
    sy: FloatArray
    cy: FloatArray
    sp: FloatArray
    cp: FloatArray

    def take(self, index: IndexArray | slice) -> _Sines:
        return _Sines(*(a[index] for a in self))


def _as_float_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a, lat_a = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_a, lat_a


def in_china(lon: FloatArray, lat: FloatArray) -> BoolArray:
    """True where ``(lon, lat)`` lies in :data:`CHINA_BBOX`, the region where GCJ-02 applies."""
    min_lon, min_lat, max_lon, max_lat = CHINA_BBOX
    return (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat)


#: Points per block: every temporary of a block (~40 arrays of 128 KiB) stays in cache;
#: on a million points this is ~2x faster than whole-array numpy.
_BLOCK = 16384


def _blockwise(
    func: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    lon: ArrayLike,
    lat: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Apply ``func`` (flat arrays in, flat arrays out) block by block; keep the shape."""
    lon_a, lat_a = _as_float_arrays(lon, lat)
    flat_lon, flat_lat = lon_a.ravel(), lat_a.ravel()
    if flat_lon.size <= _BLOCK:
        out_lon, out_lat = func(flat_lon, flat_lat)
    else:
        out_lon, out_lat = np.empty(flat_lon.size), np.empty(flat_lon.size)
        for lo in range(0, flat_lon.size, _BLOCK):
            block = slice(lo, lo + _BLOCK)
            out_lon[block], out_lat[block] = func(flat_lon[block], flat_lat[block])
    # 0-d input gives numpy scalars, as whole-array arithmetic did
    return out_lon.reshape(lon_a.shape)[()], out_lat.reshape(lat_a.shape)[()]


def _base_sines(lon: FloatArray, lat: FloatArray) -> _Sines:
    """Three sines; the cosines follow by √(1 - s²) since every angle is within ±π/2.

    |π·x/120| <= 0.87 and |π·y/120| <= 0.9 rad inside :data:`CHINA_BBOX`; |φ| < π/2.
    """
    sx = np.sin((lon - 105.0) * _BASE)
    sy = np.sin((lat - 35.0) * _BASE)
    sp = np.sin(lat * _DEG)
    return _Sines(
        sx, np.sqrt(1.0 - sx * sx), sy, np.sqrt(1.0 - sy * sy), sp, np.sqrt(1.0 - sp * sp)
    )


def _rotate(s: FloatArray, c: FloatArray, angle: FloatArray) -> tuple[FloatArray, FloatArray]:
    """sin/cos of ``a + angle`` from those of ``a``, for a small ``angle`` (Taylor, no trig).

    Truncation error < angle⁵/120: 3e-19 at the 5e-4 rad that a GCJ-02 step reaches.
    """
    sq = angle * angle
    sin_d = angle * (1.0 - sq * (1.0 / 6.0) * (1.0 - sq * 0.05))
    cos_d = 1.0 - sq * 0.5 * (1.0 - sq * (1.0 / 12.0))
    return s * cos_d + c * sin_d, c * cos_d - s * sin_d


def _shift_sines(base: _Sines, dlon: FloatArray, dlat: FloatArray) -> _Sines:
    """The :class:`_Sines` of ``(lon + dlon, lat + dlat)`` from those of ``(lon, lat)``."""
    sx, cx = _rotate(base.sx, base.cx, dlon * _BASE)
    sy, cy = _rotate(base.sy, base.cy, dlat * _BASE)
    sp, cp = _rotate(base.sp, base.cp, dlat * _DEG)
    return _Sines(sx, cx, sy, cy, sp, cp)


def _multiples(
    s: FloatArray, c: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """sin of π·v/30, π·v/12, π·v/3, π·v, and cos π·v, from sin/cos of π·v/120.

    Double-, triple-angle and addition identities: ~20 multiplications instead of four
    ``sin`` calls; identical to ~1e-15 (measured), far below the 1e-12° the tests demand.
    """
    s2, c2 = 2.0 * s * c, 1.0 - 2.0 * s * s  # π·v/60
    s4, c4 = 2.0 * s2 * c2, 1.0 - 2.0 * s2 * s2  # π·v/30
    s5, c5 = s4 * c + c4 * s, c4 * c - s4 * s  # π·v/24
    s10, c10 = 2.0 * s5 * c5, 1.0 - 2.0 * s5 * s5  # π·v/12
    s20, c20 = 2.0 * s10 * c10, 1.0 - 2.0 * s10 * s10  # π·v/6
    s40, c40 = 2.0 * s20 * c20, 1.0 - 2.0 * s20 * s20  # π·v/3
    s120 = s40 * (3.0 - 4.0 * s40 * s40)  # π·v
    c120 = c40 * (4.0 * c40 * c40 - 3.0)
    return s4, s10, s40, s120, c120


def _gcj_offset(
    lon: FloatArray, lat: FloatArray, sines: _Sines | None = None
) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS-84 in degrees at WGS-84 ``(lon, lat)``, ignoring the China test.

    The published polynomial is ``-100 + 2x + 3y + 0.2y² + 0.1xy + 0.2√|x| + ⅔(20 sin 6πx +
    20 sin 2πx) + ⅔(20 sin πy + 40 sin πy/3) + ⅔(160 sin πy/12 + 320 sin πy/30)`` metres-ish
    northwards and ``300 + x + 2y + 0.1x² + 0.1xy + 0.1√|x| + ⅔(20 sin 6πx + 20 sin 2πx) +
    ⅔(20 sin πx + 40 sin πx/3) + ⅔(150 sin πx/12 + 300 sin πx/30)`` eastwards, with
    ``x = lon - 105``, ``y = lat - 35``. Every sine comes from sin/cos of π·x/120 and
    π·y/120 (:func:`_multiples`), so one evaluation costs three ``sin`` calls — or none,
    when ``sines`` are given (shifted from a nearby point by :func:`_shift_sines`).
    """
    if sines is None:
        sines = _base_sines(lon, lat)
    x = lon - 105.0
    y = lat - 35.0
    s30x, s12x, s3x, s1x, c1x = _multiples(sines.sx, sines.cx)
    s30y, s12y, s3y, s1y, _ = _multiples(sines.sy, sines.cy)
    s2x = 2.0 * s1x * c1x  # sin(2 pi x)
    s6x = s2x * (3.0 - 4.0 * s2x * s2x)  # sin(6 pi x)
    shared = (40.0 / 3.0) * (s6x + s2x) - 100.0
    xy = 0.1 * x * y
    sqrt_x = np.sqrt(np.abs(x))
    north = (40.0 / 3.0) * s1y + (80.0 / 3.0) * s3y
    north += (320.0 / 3.0) * s12y + (640.0 / 3.0) * s30y
    north += shared + 2.0 * x + 3.0 * y + 0.2 * y * y + xy + 0.2 * sqrt_x
    east = (40.0 / 3.0) * s1x + (80.0 / 3.0) * s3x
    east += 100.0 * s12x + 200.0 * s30x
    east += shared + 400.0 + x + 2.0 * y + 0.1 * x * x + xy + 0.1 * sqrt_x
    # to degrees on the Krasovsky ellipsoid: meridian radius a(1-e²)/W³, parallel a·cosφ/W
    magic = 1.0 - _KRASOVSKY_EE * sines.sp * sines.sp  # W²
    sqrt_magic = np.sqrt(magic)
    dlat = north * (magic * sqrt_magic * 180.0 / (_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) * np.pi))
    dlon = east * (sqrt_magic * 180.0 / (_KRASOVSKY_A * np.pi)) / sines.cp
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
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
    return _blockwise(_wgs84_to_gcj02_block, lon, lat)


def _wgs84_to_gcj02_block(lon_a: FloatArray, lat_a: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _inside_china_only(_gcj_forward, lon_a, lat_a)


def _gcj_forward(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _inside_china_only(
    func: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    lon: FloatArray,
    lat: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Apply ``func`` to the points inside :data:`CHINA_BBOX`; copy the others (and NaNs)."""
    inside = in_china(lon, lat)
    if inside.all():
        return func(lon, lat)
    out_lon, out_lat = lon.copy(), lat.copy()
    if inside.any():
        out_lon[inside], out_lat[inside] = func(lon[inside], lat[inside])
    return out_lon, out_lat


def _still_active(
    active: IndexArray | slice, r_lon: FloatArray, r_lat: FloatArray
) -> IndexArray | slice:
    """The points of ``active`` whose residual is still above :data:`_STOP_RESIDUAL_DEG`.

    NaN residuals (NaN input) compare False, so those points stop at once.
    """
    still = (np.abs(r_lon) > _STOP_RESIDUAL_DEG) | (np.abs(r_lat) > _STOP_RESIDUAL_DEG)
    if still.all():
        return active
    return np.flatnonzero(still) if isinstance(active, slice) else active[still]


def _converged(active: IndexArray | slice) -> bool:
    return not isinstance(active, slice) and active.size == 0


def _warn_unconverged(active: IndexArray | slice) -> None:
    if not isinstance(active, slice) and active.size:
        logger.warning("%d points did not converge", active.size)


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    target_lon: FloatArray,
    target_lat: FloatArray,
    start_lon: FloatArray,
    start_lat: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(w) == target`` by fixed-point iteration from ``start`` (vectorised)."""
    lon, lat = start_lon.ravel().copy(), start_lat.ravel().copy()
    t_lon, t_lat = target_lon.ravel(), target_lat.ravel()
    active: IndexArray | slice = slice(None)  # all points, without copying
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(lon[active], lat[active])
        r_lon = f_lon - t_lon[active]
        r_lat = f_lat - t_lat[active]
        lon[active] -= r_lon
        lat[active] -= r_lat
        active = _still_active(active, r_lon, r_lat)
        if _converged(active):
            break
    _warn_unconverged(active)
    return lon.reshape(start_lon.shape), lat.reshape(start_lat.shape)


def _gcj_inverse(g_lon: FloatArray, g_lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Solve ``g = w + offset(w)`` for 1-d arrays of points inside China.

    Fixed-point iteration ``w <- w - (w + offset(w) - g)`` from ``w = g``, like
    :func:`_invert`, but only the first evaluation calls ``sin``: later ones rotate the
    sines of ``g`` by the (tiny) step ``w - g`` (:func:`_shift_sines`).
    """
    base = _base_sines(g_lon, g_lat)
    lon, lat = g_lon.copy(), g_lat.copy()
    active: IndexArray | slice = slice(None)  # all points, without copying
    for step in range(_MAX_ITER):
        a_lon, a_lat, t_lon, t_lat = lon[active], lat[active], g_lon[active], g_lat[active]
        sines = (
            base.take(active)
            if step == 0
            else _shift_sines(base.take(active), a_lon - t_lon, a_lat - t_lat)
        )
        dlon, dlat = _gcj_offset(a_lon, a_lat, sines)
        r_lon = a_lon + dlon - t_lon
        r_lat = a_lat + dlat - t_lat
        lon[active] = a_lon - r_lon
        lat[active] = a_lat - r_lat
        active = _still_active(active, r_lon, r_lat)
        if _converged(active):
            break
    _warn_unconverged(active)
    return lon, lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
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
    return _blockwise(_gcj02_to_wgs84_block, lon, lat)


def _gcj02_to_wgs84_block(
    flat_lon: FloatArray, flat_lat: FloatArray
) -> tuple[FloatArray, FloatArray]:
    return _inside_china_only(_gcj_inverse, flat_lon, flat_lat)


def _bd_polar_shift(x: FloatArray, y: FloatArray, sign: float) -> tuple[FloatArray, FloatArray]:
    """Apply BD-09's polar tweak with sign ``±``: ``z = r ± 2e-5·sin(y·x_pi)``,
    ``θ = atan2(y, x) ± 3e-6·cos(x·x_pi)``.

    Returns ``(z·cos θ, z·sin θ)``, computed without ``atan2``/``cos θ``/``sin θ``: with
    ``ε`` the angle tweak, ``z·cos θ = (z/r)(x cos ε - y sin ε)`` and likewise for the sine,
    where ``cos ε``, ``sin ε`` are Taylor polynomials (|ε| <= 3e-6, truncation < 1e-23).
    """
    r = np.sqrt(x * x + y * y)
    eps = (sign * 0.000003) * np.cos(x * _X_PI)
    z = r + (sign * 0.00002) * np.sin(y * _X_PI)
    cos_e = 1.0 - 0.5 * eps * eps
    sin_e = eps * (1.0 - eps * eps * (1.0 / 6.0))
    scale = z / np.where(r > 0, r, 1.0)  # at the origin x = y = 0 and z = 0
    return scale * (x * cos_e - y * sin_e), scale * (y * cos_e + x * sin_e)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
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
    return _blockwise(_gcj02_to_bd09_block, lon, lat)


def _gcj02_to_bd09_block(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    out_x, out_y = _bd_polar_shift(x, y, 1.0)
    return out_x + 0.0065, out_y + 0.006


def _bd09_to_gcj02_closed_form(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _bd_polar_shift(lon - 0.0065, lat - 0.006, -1.0)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
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
    return _blockwise(_bd09_to_gcj02_block, lon, lat)


def _bd09_to_gcj02_block(lon_a: FloatArray, lat_a: FloatArray) -> tuple[FloatArray, FloatArray]:
    start_lon, start_lat = _bd09_to_gcj02_closed_form(lon_a, lat_a)
    return _invert(_gcj02_to_bd09_block, lon_a, lat_a, start_lon, start_lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
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
    return _blockwise(lambda x, y: _gcj02_to_wgs84_block(*_bd09_to_gcj02_block(x, y)), lon, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
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
    return _blockwise(lambda x, y: _gcj02_to_bd09_block(*_wgs84_to_gcj02_block(x, y)), lon, lat)
