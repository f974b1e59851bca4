"""Measure datum slips: does a layer fit a WGS-84 reference better as GCJ-02 or BD-09?

The planner-facing check (which layers, which reference, which message) is in
:mod:`lifecircle.geo.datum_slips`; this module holds the measurement only.

Why a fit test
--------------
A layer's file rarely says which Chinese datum its numbers are in (a GeoJSON always claims
WGS-84), and a shifted layer still lies inside the study area, so range checks pass. What
gives it away is where its points sit relative to a *trusted* WGS-84 reference, usually
the street centrelines of the walking network (OpenStreetMap is WGS-84): seats, addresses,
facility entrances and area boundaries hug the streets; shifted ~450 m they fall anywhere
in the blocks.

For one layer, each datum hypothesis (as-is WGS-84; GCJ-02 → WGS-84; BD-09 → WGS-84) moves
the layer's anchor points (point features; the vertices of lines and polygons) and their
distance to the nearest reference geometry is measured in metres (a shapely ``STRtree``
nearest query, vectorised). Points are pooled per :data:`PLACE_M` cell, because nearby
points (one footprint's vertices, a row of seats) are one piece of evidence, and per place
the mean of ``log((d_as_is + 5 m) / (d_shifted + 5 m))`` is taken. A shifted hypothesis wins
only when it is *clearly* better: that mean is >= :data:`MIN_LOG_GAIN` (1.35x closer) and
>= :data:`MIN_T` standard errors above zero (or, from :data:`STRONG_MIN_PLACES` places on,
>= :data:`STRONG_LOG_GAIN` at >= :data:`STRONG_MIN_T`), over at least :data:`MIN_PLACES`
places that lie within :data:`NEAR_ANY_M` of the reference under some hypothesis (points
beyond the network's reach say nothing and are left out, so a network clipped to part of a
layer still works). A layer read with ``crs="gcj02"``/``"bd09"`` is also tested
unconverted (:data:`UNCONVERTED`): a WGS-84 file declared GCJ-02 is moved ~485 m off.
The median distances are reported alongside, as a planner reads them.

Calibration (``../shared/data/jingan``, streets = the OSM drivable network, points inside
it; median metres to the nearest street as-is / GCJ-02 / BD-09 undone):

================================================  =====  ======  =====
layer                                             as-is  GCJ-02  BD-09
================================================  =====  ======  =====
Shanghai Library historic buildings, raw BD-09    36     36      15
Shanghai Library relics, raw BD-09                49     34      18
ditushu conservation-area vertices, raw GCJ-02    63     5       57
the same two Library lists converted (WGS-84)     15/18  33/29   45/47
OSM heritage footprints (representative points)   36     30      38
Wikidata items (WGS-84)                           36     37      33
ditushu building points, raw GCJ-02               31     28      44
================================================  =====  ======  =====

Building-centre points sit mid-block, so streets cannot tell their datum (last rows: no
warning, by design: a weak test must stay silent). Log gains of the slipped layers: 0.62
and 0.82 (BD-09 lists, t 8 and 11), 1.23 (conservation vertices, t 17); the correct layers
stay <= 0.03. Random subsets of 5–30 correct features gave 4 false alarms in 3,000 draws;
demo layers moved into GCJ-02 give gains 0.7–2.1 (t 7–18), as read -1.0 to -2.6.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from lifecircle.geo.datums import (
    bd09_to_wgs84,
    gcj02_to_wgs84,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from lifecircle.typing import CRSLike, FloatArray, GeometryArray, IndexArray

__all__ = [
    "DATUM_HYPOTHESES",
    "MIN_LOG_GAIN",
    "MIN_PLACES",
    "MIN_T",
    "NEAR_ANY_M",
    "PLACE_M",
    "SOFTEN_M",
    "STRONG_LOG_GAIN",
    "STRONG_MIN_PLACES",
    "STRONG_MIN_T",
    "UNCONVERTED",
    "DatumFit",
    "Reference",
    "anchor_points",
    "fit_datum",
    "prepare_reference",
]

#: The hypotheses tested, in order: as-is, and the two Chinese datums undone.
DATUM_HYPOTHESES: tuple[str, ...] = ("wgs84", "gcj02", "bd09")
#: Distances are softened by this many metres before taking ratios, so that a point
#: right on a street (0 m) does not count as infinitely better.
SOFTEN_M = 5.0
#: A shifted hypothesis must bring the points at least exp(0.3) = 1.35 times closer to the
#: reference (geometric mean of the softened distances) ...
MIN_LOG_GAIN = 0.3
#: ... and that gain must be at least this many standard errors from zero (paired t).
MIN_T = 4.0
#: Or, over at least STRONG_MIN_PLACES places, a large gain (1.8x closer) with t >= 3:
#: 18 GCJ-02 services 8–20 m off streets are then caught 149 times in 150 (t >= 4 alone:
#: 131), while correct layers of 18 points give 3 false alarms in 1,050 draws.
STRONG_LOG_GAIN = 0.6
STRONG_MIN_T = 3.0
STRONG_MIN_PLACES = 12
#: Anchor points are pooled per square cell of this many metres: nearby points (one
#: footprint's vertices, a row of seats) are one piece of evidence.
PLACE_M = 100.0
#: Fewer usable places (cells) than this decide nothing (no warning).
MIN_PLACES = 6
#: Points farther than this from every reference geometry under every hypothesis are
#: outside the reference's reach (e.g. beyond a clipped network) and are left out.
NEAR_ANY_M = 200.0
#: Distances are capped here: beyond it a point is simply "far" under that hypothesis.
_CAP_M = 2.5 * NEAR_ANY_M
#: At most this many anchor points per layer are measured (seeded sample).
_SAMPLE = 1000
_CONVERT: dict[str, Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]] = {
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FORWARD: dict[str, Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]] = {
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}
#: The hypothesis "the file was WGS-84 after all" of a layer read with crs gcj02/bd09.
UNCONVERTED = "unconverted"


@dataclass(frozen=True)
class DatumFit:
    """How well one layer fits a reference under each datum hypothesis.

    Attributes
    ----------
    n_places : int
        Places measured: :data:`PLACE_M` grid cells holding anchor points within
        :data:`NEAR_ANY_M` of the reference (the independent pieces of evidence).
    n_points : int
        Anchor points measured.
    median_m : dict
        Hypothesis (``"wgs84"``, ``"gcj02"``, ``"bd09"``) -> median metres to the
        nearest reference geometry.
    offset_m : dict
        Hypothesis -> median metres each point moves under that conversion (0 as-is).
    log_gain : dict
        Shifted hypothesis -> mean over places of ``log((d_as_is + 5) / (d_shifted + 5))``
        (per place, the mean over its points): how many times closer, on a log scale,
        the layer sits to the reference once shifted.
    t_stat : dict
        Shifted hypothesis -> ``log_gain`` divided by its standard error over places.
    """

    n_places: int
    n_points: int
    median_m: Mapping[str, float]
    offset_m: Mapping[str, float]
    log_gain: Mapping[str, float]
    t_stat: Mapping[str, float]

    @property
    def best_shift(self) -> str:
        """The shifted hypothesis that brings the points closer to the reference."""
        return max(self.log_gain, key=lambda h: self.log_gain[h])

    @property
    def slipped(self) -> str | None:
        """The datum that fits clearly better than as-is (``None`` when none does)."""
        best = self.best_shift
        gain, t_stat = self.log_gain[best], self.t_stat[best]
        clear = gain >= MIN_LOG_GAIN and t_stat >= MIN_T
        strong = (
            self.n_places >= STRONG_MIN_PLACES
            and gain >= STRONG_LOG_GAIN
            and t_stat >= STRONG_MIN_T
        )
        return best if clear or strong else None

    @property
    def confirms_as_is(self) -> bool:
        """True when as-is fits clearly better than both shifted hypotheses."""
        return all(
            self.log_gain[h] <= -MIN_LOG_GAIN and self.t_stat[h] <= -MIN_T for h in self.log_gain
        )


def anchor_points(geometries: GeometryArray) -> tuple[FloatArray, FloatArray, IndexArray]:
    """The coordinates that should sit on a trusted map: points and boundary vertices.

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
        Any geometry types; missing and empty ones are skipped. Polygons contribute
        their ring vertices, lines their vertices, points themselves.

    Returns
    -------
    lon, lat : numpy.ndarray
        Finite coordinates (float64).
    feature : numpy.ndarray of int
        Position in ``geometries`` of the feature each coordinate belongs to.
    """
    geoms = np.asarray(geometries, dtype=object).ravel()
    xy, feature = shapely.get_coordinates(geoms, return_index=True)
    finite = np.isfinite(xy).all(axis=1)
    return xy[finite, 0], xy[finite, 1], feature[finite]


@dataclass(frozen=True)
class Reference:
    """Trusted geometries prepared for nearest queries: an STRtree in metres.

    Build it with :func:`prepare_reference` (once per set of layers; ~20 ms per thousand
    street segments) and pass it to :func:`fit_datum` in place of raw geometries.
    """

    tree: shapely.STRtree
    to_metric: pyproj.Transformer


def prepare_reference(geometries: GeometryArray, crs: CRSLike) -> Reference | None:
    """Prepare ``geometries`` (in ``crs``; a lon/lat CRS is projected to UTM) for queries.

    Returns ``None`` when there is no usable geometry.
    """
    prepared = _metric_reference(geometries, crs)
    return None if prepared is None else Reference(*prepared)


def _metric_reference(
    reference: GeometryArray, reference_crs: CRSLike
) -> tuple[shapely.STRtree, pyproj.Transformer] | None:
    """An STRtree of the reference in metres and the lon/lat -> metres transformer."""
    geoms = np.asarray(reference, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if geoms.size == 0:
        return None
    crs = pyproj.CRS.from_user_input(reference_crs)
    if not crs.is_projected:
        lon, lat, _ = anchor_points(geoms)
        if lon.size == 0:
            return None
        zone = min(int((float(np.median(lon)) + 180.0) // 6.0) + 1, 60)
        metric = pyproj.CRS.from_epsg((32600 if np.median(lat) >= 0 else 32700) + zone)
        to_metric = pyproj.Transformer.from_crs(crs, metric, always_xy=True)
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(to_metric.transform(*xy.T)))
        crs = metric
    to_ref = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    return shapely.STRtree(geoms), to_ref


def _nearest_m(
    tree: shapely.STRtree, to_ref: pyproj.Transformer, lon: FloatArray, lat: FloatArray
) -> FloatArray:
    """Metres to the nearest reference geometry, capped at :data:`_CAP_M` (a bounded search
    is ~5x faster for points far outside the reference)."""
    x, y = to_ref.transform(lon, lat)
    hits, dist = tree.query_nearest(
        shapely.points(x, y), max_distance=_CAP_M, return_distance=True, all_matches=False
    )
    out = np.full(len(x), _CAP_M)
    out[hits[0]] = dist
    return out


def fit_datum(
    lon: FloatArray,
    lat: FloatArray,
    reference: GeometryArray | Reference,
    *,
    reference_crs: CRSLike = 4326,
    min_places: int = MIN_PLACES,
    declared: str | None = None,
) -> DatumFit | None:
    """Measure how well points fit a WGS-84 reference as-is, as GCJ-02 and as BD-09.

    Parameters
    ----------
    lon, lat : numpy.ndarray
        The layer's anchor points as read (degrees, taken as WGS-84).
    reference : numpy.ndarray of shapely geometries, or Reference
        Trusted WGS-84 geometries, e.g. the walking network's street centrelines (or
        the same, prepared once by :func:`prepare_reference`).
    reference_crs : pyproj.CRS or anything pyproj accepts
        CRS of raw ``reference`` geometries (a metric CRS such as the network's UTM zone,
        or EPSG:4326).
    min_places : int
        Fewer usable places (:data:`PLACE_M` cells holding points) than this give ``None``.
    declared : {"gcj02", "bd09"}, optional
        The datum the layer was converted from when it was read. A fourth hypothesis,
        ``"unconverted"`` (the file's own numbers, i.e. the file was WGS-84 after all),
        is then tested too.

    Returns
    -------
    DatumFit or None
        ``None`` when too few places lie in China near the reference to decide.
    """
    lon = np.asarray(lon, dtype=np.float64).ravel()
    lat = np.asarray(lat, dtype=np.float64).ravel()
    keep = np.isfinite(lon) & np.isfinite(lat) & in_china(lon, lat)
    lon, lat = lon[keep], lat[keep]
    if lon.size < min_places:
        return None
    if not isinstance(reference, Reference):
        prepared = prepare_reference(reference, reference_crs)
        if prepared is None:
            return None
        reference = prepared
    if lon.size > _SAMPLE:
        pick = np.sort(np.random.default_rng(0).choice(lon.size, _SAMPLE, replace=False))
        lon, lat = lon[pick], lat[pick]
    shifts = dict(_CONVERT)
    if declared in _FORWARD:
        shifts[UNCONVERTED] = _FORWARD[declared]
    return _measure(
        lon, lat, reference.tree, reference.to_metric, shifts=shifts, min_places=min_places
    )


def _measure(
    lon: FloatArray,
    lat: FloatArray,
    tree: shapely.STRtree,
    to_ref: pyproj.Transformer,
    *,
    shifts: Mapping[str, Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]],
    min_places: int,
) -> DatumFit | None:
    """Distances under every hypothesis, then the per-place paired comparison."""
    moved = {"wgs84": (lon, lat), **{h: func(lon, lat) for h, func in shifts.items()}}
    dist = {h: _nearest_m(tree, to_ref, *xy) for h, xy in moved.items()}
    near = np.min(np.vstack(list(dist.values())), axis=0) <= NEAR_ANY_M
    x0, y0 = to_ref.transform(lon[near], lat[near])
    cells = np.column_stack([np.floor(x0 / PLACE_M), np.floor(y0 / PLACE_M)])
    _, groups = np.unique(cells, axis=0, return_inverse=True)
    groups = groups.ravel()
    n_places = int(groups.max()) + 1 if groups.size else 0
    if n_places < min_places:
        return None
    offsets = {"wgs84": 0.0}
    gains, t_stats = {}, {}
    for h in shifts:
        x1, y1 = to_ref.transform(moved[h][0][near], moved[h][1][near])
        offsets[h] = float(np.median(np.hypot(x1 - x0, y1 - y0)))
        gains[h], t_stats[h] = _paired_log_gain(dist["wgs84"][near], dist[h][near], groups)
    medians = {h: float(np.median(d[near])) for h, d in dist.items()}
    return DatumFit(n_places, int(near.sum()), medians, offsets, gains, t_stats)


def _paired_log_gain(
    as_is_m: FloatArray, shifted_m: FloatArray, groups: IndexArray
) -> tuple[float, float]:
    """Mean over places of ``log((as_is + s) / (shifted + s))`` and its t statistic.

    Each place's value is the mean over its points: nearby points (the vertices of one
    footprint, a cluster of seats) are one piece of evidence, not many.
    """
    ratio = np.log((as_is_m + SOFTEN_M) / (shifted_m + SOFTEN_M))
    counts = np.bincount(groups)
    per_feature = np.bincount(groups, weights=ratio) / counts
    mean = float(per_feature.mean())
    spread = float(per_feature.std(ddof=1)) if per_feature.size > 1 else 0.0
    if spread < 1e-12:
        return mean, float(np.sign(mean)) * np.inf
    return mean, mean / (spread / np.sqrt(per_feature.size))
