"""Snap points (homes, facilities, seats) onto the nearest walkable street *edge*.

Snapping onto edges rather than nodes matters on long blocks: a home in the middle of a
300 m street is 150 m from either corner, not 0 m from the nearer one.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from lifecircle.coverage.network.extent import LIKELY_CAUSE
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.routing import snap_kernel
from lifecircle.coverage.routing.kernel import kernel_available
from lifecircle.errors import LayerError, NetworkError
from lifecircle.typing import FloatArray, GeometryArray

__all__ = ["check_snapped", "snap_coordinates", "snap_points"]

logger = logging.getLogger(__name__)

#: Far points this far off (median; half the smallest GCJ-02 offset) suggest a datum mix-up.
DATUM_HINT_M = 150.0

#: Columns of the frame returned by :func:`snap_points`.
SNAP_COLUMNS = (
    "edge",
    "offset_m",
    "fraction",
    "snap_m",
    "snapped",
    "component",
    "x",
    "y",
    "orig_x",
    "orig_y",
)


def _as_points(points: gpd.GeoSeries | gpd.GeoDataFrame, network: WalkNetwork) -> GeometryArray:
    """Return the points as a shapely array in the network CRS (validated)."""
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if not isinstance(geoms, gpd.GeoSeries):
        raise TypeError(f"points must be a GeoSeries or GeoDataFrame, got {type(points).__name__}")
    if geoms.crs is None:
        raise LayerError("<points>", ["the points have no CRS; set one (e.g. EPSG:4326)"])
    geoms = geoms.to_crs(network.crs)
    arr: GeometryArray = geoms.to_numpy()
    problems = []
    empty = shapely.is_missing(arr) | shapely.is_empty(arr)
    for label in geoms.index[empty][:5]:
        problems.append(f"row {label!r} has no geometry")
    kinds = shapely.get_type_id(arr)
    not_point = ~empty & (kinds != shapely.GeometryType.POINT)
    if not_point.any():
        arr = arr.copy()
        arr[not_point] = shapely.point_on_surface(arr[not_point])
    if problems:
        extra = int(empty.sum()) - len(problems)
        if extra > 0:
            problems.append(f"and {extra} more rows without geometry")
        raise LayerError("<points>", problems)
    return arr


def snap_points(
    network: WalkNetwork,
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    max_snap_m: float = 100.0,
    positions: bool = True,
) -> pd.DataFrame:
    """Snap each point onto the nearest edge of ``network``.

    Parameters
    ----------
    network : WalkNetwork
        The walking network.
    points : GeoSeries or GeoDataFrame
        Points in any CRS (reprojected to the network's). Non-point geometries are
        replaced by a point on their surface.
    max_snap_m : float, default 100
        Points farther than this from every edge are *not snapped*: they keep their
        nearest edge and distance in the result but ``snapped`` is False, and the solver
        treats them as unreachable (and lists them) instead of dropping them silently.
    positions : bool, default True
        Also return the snapped position (``x``, ``y``); False leaves those two columns
        out, which saves a third of the time on millions of points.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``, with ``edge`` (positional edge index), ``offset_m``
        (walking distance from the edge's ``u`` end, on the ``length_m`` scale),
        ``fraction`` (0..1 along the geometry), ``snap_m`` (straight off-network leg in
        metres), ``snapped`` (``snap_m <= max_snap_m``), ``component`` (connected component
        of the edge, 0 = largest), ``x``, ``y`` (the snapped position; only with
        ``positions``) and ``orig_x``, ``orig_y`` (the input position), both in the
        network CRS.

    Examples
    --------
    >>> snapped = snap_points(net, homes, max_snap_m=50)  # doctest: +SKIP
    >>> snapped.loc[~snapped.snapped, "snap_m"]  # doctest: +SKIP
    """
    if not (max_snap_m >= 0):
        raise ValueError(f"max_snap_m must be >= 0 metres, got {max_snap_m!r}")
    pts = _as_points(points, network)
    columns = SNAP_COLUMNS if positions else tuple(c for c in SNAP_COLUMNS if c not in ("x", "y"))
    if len(pts) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns}, index=points.index)
    out = _snap(network, shapely.get_coordinates(pts), pts, positions=positions)
    _log_far(out["snap_m"], max_snap_m)
    out["snapped"] = out["snap_m"] <= max_snap_m
    return pd.DataFrame({c: out[c] for c in columns}, index=points.index)


#: Points snapped per batch by the STRtree (bounds the Point objects alive).
SNAP_BATCH = 500_000


def snap_coordinates(
    network: WalkNetwork, xy: FloatArray, *, max_snap_m: float = 100.0
) -> pd.DataFrame:
    """Snap points given as coordinates in the network CRS, as :func:`snap_points` does.

    For millions of points (a city's demand lattice): with numba installed, a compiled
    search (:mod:`~lifecircle.coverage.routing.snap_kernel`) snaps them without making
    Point objects; otherwise, and for the few points it leaves to the STRtree, Points are
    made a batch at a time and dropped, so they never all exist at once. Either way the
    result is the same, bit for bit, as ``snap_points(network, points, positions=False)``
    on those points.

    Parameters
    ----------
    network : WalkNetwork
    xy : numpy.ndarray
        ``(n, 2)`` coordinates in ``network.crs``.
    max_snap_m : float, default 100

    Returns
    -------
    pandas.DataFrame
        Indexed ``0..n-1``, with the columns of :func:`snap_points` but ``x`` and ``y``.

    Raises
    ------
    lifecircle.errors.LayerError
        For coordinates that are not finite numbers (a point without geometry).
    """
    if not (max_snap_m >= 0):
        raise ValueError(f"max_snap_m must be >= 0 metres, got {max_snap_m!r}")
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))
    if len(bad):
        problems = [f"row {int(i)} has no geometry" for i in bad[:5]]
        if len(bad) > 5:
            problems.append(f"and {len(bad) - 5} more rows without geometry")
        raise LayerError("<points>", problems)
    columns = tuple(c for c in SNAP_COLUMNS if c not in ("x", "y"))
    if len(xy) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    out = _snap(network, xy, None, positions=False)
    _log_far(out["snap_m"], max_snap_m)
    out["snapped"] = out["snap_m"] <= max_snap_m
    return pd.DataFrame({c: out[c] for c in columns})


def _log_far(snap_m: FloatArray, max_snap_m: float) -> None:
    n_far = int((snap_m > max_snap_m).sum())
    if n_far:
        logger.info("%d of %d points lie beyond max_snap_m=%g m", n_far, len(snap_m), max_snap_m)


def _snap(
    network: WalkNetwork, xy: FloatArray, pts: GeometryArray | None, *, positions: bool
) -> dict[str, NDArray[Any]]:
    """Snap valid points: every column of :data:`SNAP_COLUMNS` but ``snapped``.

    ``xy`` are the points' coordinates; ``pts`` the Points themselves when the caller has
    them (else they are made a batch at a time, and only where the STRtree is asked).
    """
    edge, snap_m, fraction = _nearest(network, xy, pts)
    fraction = np.clip(fraction, 0.0, 1.0)
    length_m = network.edges["length_m"].to_numpy(dtype=float)[edge]
    out: dict[str, NDArray[Any]] = {
        "edge": edge,
        "offset_m": fraction * length_m,
        "fraction": fraction,
        "snap_m": snap_m,
        "component": network.component_labels[network.edges["u"].to_numpy()[edge]],
        "orig_x": xy[:, 0],
        "orig_y": xy[:, 1],
    }
    if positions:
        lines = network.edges.geometry.to_numpy()[edge]
        on_line = shapely.get_coordinates(
            shapely.line_interpolate_point(lines, fraction, normalized=True)
        )
        out["x"], out["y"] = on_line[:, 0], on_line[:, 1]
    return out


def _nearest(
    network: WalkNetwork, xy: FloatArray, pts: GeometryArray | None
) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
    """Nearest edge, distance to it and normalised position along it (not clipped).

    The compiled search (:mod:`~lifecircle.coverage.routing.snap_kernel`) on large inputs
    when numba is installed, with the STRtree for the points it is unsure of; the STRtree
    alone otherwise. Both give the same numbers, bit for bit.
    """
    use = snap_kernel.USE_KERNEL and len(xy) >= snap_kernel.MIN_KERNEL_POINTS
    got = snap_kernel.nearest_edges(network, xy) if use and kernel_available() else None
    if got is None:
        return _nearest_by_tree(network, xy, pts)
    edge, snap_m, fraction, ask = got
    rows = np.flatnonzero(ask)
    if len(rows):
        sub = None if pts is None else pts[rows]
        edge[rows], snap_m[rows], fraction[rows] = _nearest_by_tree(network, xy[rows], sub)
    return edge, snap_m, fraction


def _nearest_by_tree(
    network: WalkNetwork, xy: FloatArray, pts: GeometryArray | None
) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
    """:func:`_nearest` by the STRtree (Points made :data:`SNAP_BATCH` at a time)."""
    edge_geoms = network.edges.geometry.to_numpy()
    tree = _edge_tree(network)
    edge = np.empty(len(xy), dtype=np.int64)
    snap_m = np.empty(len(xy), dtype=float)
    fraction = np.empty(len(xy), dtype=float)
    for lo in range(0, len(xy), SNAP_BATCH):
        hi = min(lo + SNAP_BATCH, len(xy))
        batch = shapely.points(xy[lo:hi]) if pts is None else pts[lo:hi]
        (ipt, iedge), dist = tree.query_nearest(batch, return_distance=True, all_matches=False)
        edge[lo + ipt] = iedge  # one match per point (all_matches=False)
        snap_m[lo + ipt] = dist
        lines = edge_geoms[edge[lo:hi]]
        fraction[lo:hi] = shapely.line_locate_point(lines, batch, normalized=True)
    return edge, snap_m, fraction


_TREES: weakref.WeakKeyDictionary[WalkNetwork, shapely.STRtree] = weakref.WeakKeyDictionary()


def _edge_tree(network: WalkNetwork) -> shapely.STRtree:
    """Return an STRtree over the edge geometries (built once per network object)."""
    tree = _TREES.get(network)
    if tree is None:
        tree = shapely.STRtree(network.edges.geometry.to_numpy())
        _TREES[network] = tree
    return tree


def _far_summary(snapped: pd.DataFrame, noun: str, max_snap_m: float) -> tuple[str, float]:
    far = ~snapped["snapped"].to_numpy(dtype=bool)
    median = float(np.median(snapped["snap_m"].to_numpy(dtype=float)[far]))
    text = (
        f"{int(far.sum())} of {len(far)} {noun} ({far.mean():.0%}) lie farther than "
        f"max_snap_m={max_snap_m:g} m from the walking network (median {median:,.0f} m)"
    )
    return text, median


def check_snapped(
    demand: pd.DataFrame,
    facilities: pd.DataFrame | None = None,
    *,
    services: pd.Series | None = None,
    max_snap_m: float,
    listed_in: str | None = None,
) -> str | None:
    """Check snapped demand points (and facilities) against the network.

    Parameters
    ----------
    demand, facilities : pandas.DataFrame
        Outputs of :func:`snap_points` (``snapped``, ``snap_m``).
    services : pandas.Series, optional
        The service of each facility (aligned with ``facilities``), to name a service
        none of whose facilities reaches the network.
    max_snap_m : float
        The snapping distance used (for the messages).
    listed_in : str, optional
        Where the far points are listed (e.g. ``"result.unsnapped"``), for the message.

    Returns
    -------
    str or None
        A warning message when some points or facilities are beyond ``max_snap_m`` (the
        caller warns, so that the warning points at the user's code), else None.

    Raises
    ------
    lifecircle.errors.NetworkError
        When there are demand points and none lies within ``max_snap_m`` of the network.
    """
    ok = demand["snapped"].to_numpy(dtype=bool)
    if len(ok) and not ok.any():
        median = float(np.median(demand["snap_m"].to_numpy(dtype=float)))
        raise NetworkError(
            f"none of the {len(ok)} demand points lies within max_snap_m={max_snap_m:g} m of "
            f"the walking network (median distance {median:,.0f} m): {LIKELY_CAUSE}"
        )
    parts, medians = [], []
    if len(ok) and not ok.all():
        text, median = _far_summary(demand, "demand points", max_snap_m)
        parts.append(text)
        medians.append(median)
    if facilities is not None and not facilities["snapped"].to_numpy(dtype=bool).all():
        text, median = _far_summary(facilities, "facilities", max_snap_m)
        parts.append(text)
        medians.append(median)
        if services is not None:
            fac_ok = pd.Series(facilities["snapped"].to_numpy(dtype=bool))
            counts = fac_ok.groupby(services.to_numpy(), sort=False).agg(["any", "size"])
            parts += [
                f"service {name!r}: none of its {size} facilities is within max_snap_m, so "
                f"nobody reaches it"
                for name, (reached, size) in counts.iterrows()
                if not reached
            ]
    if not parts:
        return None
    message = "; ".join(parts) + "; they count as unreachable"
    if listed_in:
        message += f" (listed in {listed_in})"
    if max(medians) >= DATUM_HINT_M:
        message += f" \u2014 {LIKELY_CAUSE}"
    return message
