"""A service's walking area from its street pieces, through the faces the streets enclose.

The walking area is every point within ``access_m`` of a reachable street piece. Buffering
each piece and unioning the buffers (:func:`lines_to_area`, the v0.1 method) spends almost
all its time overlaying thousands of overlapping buffers: 17 s for one service at 100k
nodes. The complement is much cheaper to build. The pieces, noded, cut the plane into
*faces* (city blocks, for a street grid); a point of a face is farther than ``access_m``
from every piece exactly when it is farther than that from the face's own boundary and
from the pieces inside the face that bound nothing (dead ends, bridges between blocks).
Nearest pieces never lie beyond the face's boundary, because a straight line from inside
a face to anything outside it crosses that boundary. So (:func:`faces_to_area`):

1. node the pieces (:func:`~lifecircle.coverage.areas.noding.node_lines`: only where
   they cross) and polygonise them (``shapely.polygonize_full``): the faces, plus the
   pieces that enclose no face (dangles, cut edges, invalid rings);
2. the region around the city, inside a box ``3 * access_m`` beyond the pieces, is one
   more face;
3. shrink every face by ``access_m`` (a negative buffer, 4 segments per quarter circle as
   before) and take the buffers of the enclosing-nothing pieces away from it, cluster by
   cluster of touching buffers: these are the *holes*, pairwise apart by at least
   ``2 * access_m``;
4. the area is the box ``1.5 * access_m`` beyond the pieces minus the holes (the area
   ends ``access_m`` beyond the pieces and the shrunk region around them reaches out to
   ``2 * access_m``, so the box's edge falls inside it and leaves no sliver), built
   directly as polygons with holes (no overlay) when every hole is a plain ring;
   otherwise (a street island inside a block) by one difference.

Faces already known whole (every street around and inside them reached; see
:mod:`~lifecircle.coverage.areas.street_faces`) come in with their holes ready made, and
only the pieces that bound the rest are polygonised (:func:`pieces_to_service_area`): a
face of those pieces is either made of known faces, and left out, or meets none of them.

The two methods approximate the same circles with different vertices (GEOS places a
buffer's arc vertices by the turn angle, and thins its input by 1% of the distance), so
their outlines differ by up to about 1 m at corners, and thin gaps narrower than that
can appear in one and not the other. :data:`AREA_TOLERANCE_M` and
:data:`AREA_TOLERANCE_SHARE` state what is kept (tested on the demo, on random synthetic
cities and on real streets). Should GEOS reject the faces (it has not been seen to), the
area falls back to :func:`lines_to_area`.
"""

from __future__ import annotations

import logging

import numpy as np
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from lifecircle.coverage.areas.noding import node_lines
from lifecircle.typing import GeometryArray, IndexArray

__all__ = [
    "AREA_TOLERANCE_M",
    "AREA_TOLERANCE_SHARE",
    "area_tolerance_m",
    "faces_to_area",
    "lines_to_area",
    "lines_to_service_area",
    "measure_area_difference",
    "pieces_to_service_area",
    "remove_loose_reach",
    "union_groups",
]

logger = logging.getLogger(__name__)

#: Every point of the faces method's area lies within this of the buffer-and-union area,
#: and every point of that area within this of the faces method's (metres), for buffers
#: up to 40 m; beyond, :func:`area_tolerance_m` (the arcs' error grows with the radius).
AREA_TOLERANCE_M = 2.0
#: The two areas' symmetric difference is at most this share of the buffer-and-union area.
AREA_TOLERANCE_SHARE = 0.005

_QUAD_SEGS = 4


def area_tolerance_m(access_m: float) -> float:
    """How far apart the two methods' areas may be for a buffer of ``access_m`` metres.

    :data:`AREA_TOLERANCE_M` (2 m), or 5% of the buffer when that is more: a chord of a
    GEOS arc strays up to 3.4% of the radius from the circle (a 30 degree turn gets one
    segment) and GEOS thins its input by 1% of the distance, in both methods alike.
    """
    return max(AREA_TOLERANCE_M, 0.05 * access_m)


def lines_to_service_area(lines: GeometryArray, *, access_m: float) -> shapely.Geometry:
    """Return every point within ``access_m`` of the street pieces, as one (multi)polygon.

    The faces method (:func:`faces_to_area`), with the buffer-and-union method
    (:func:`lines_to_area`) as its fallback should GEOS reject the faces.

    Parameters
    ----------
    lines : numpy.ndarray of shapely.LineString
        Street pieces (missing and empty ones are left out).
    access_m : float
        Buffer distance in metres (> 0).

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        Empty when there is no piece.
    """
    arr = _present(lines)
    return pieces_to_service_area(arr, np.ones(len(arr), dtype=bool), access_m=access_m)


def lines_to_area(lines: GeometryArray, *, access_m: float) -> shapely.Geometry:
    """Buffer street pieces by ``access_m`` and union the buffers (the v0.1 method).

    Touching pieces are merged first, each merged line is buffered (4 segments per quarter
    circle) and the buffers are unioned (GEOS's cascaded union). Kept as the reference
    :func:`faces_to_area` is measured and tested against, and as its fallback.
    """
    arr = _present(lines)
    merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(arr)))
    return shapely.union_all(shapely.buffer(merged, access_m, quad_segs=_QUAD_SEGS))


def faces_to_area(
    lines: GeometryArray,
    *,
    access_m: float,
    whole_faces: GeometryArray | None = None,
    whole_holes: GeometryArray | None = None,
) -> shapely.Geometry:
    """Every point within ``access_m`` of the pieces: a box minus the shrunk faces.

    See the module docstring for the method and why it is exact up to arc vertices.

    Parameters
    ----------
    lines : numpy.ndarray of shapely.LineString
        Street pieces, none missing or empty.
    access_m : float
        Buffer distance in metres (> 0).
    whole_faces, whole_holes : numpy.ndarray of shapely.Polygon, optional
        Faces known to be faces of the walking area already, with their holes (each shrunk
        by ``access_m``, less its dead ends' buffers), whose inner streets were left out of
        ``lines`` (:mod:`~lifecircle.coverage.areas.street_faces`). A face of ``lines``
        made of such faces is not shrunk again; their holes are taken as given.

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
    """
    if len(lines) == 0:
        return shapely.Polygon()
    noded = node_lines(lines)[0]
    polys, cuts, dangles, invalid = shapely.polygonize_full(noded)
    faces = shapely.get_parts(polys)
    # zero-length pieces are dropped by the noding here and by the merge in v0.1 alike
    loose = np.concatenate([shapely.get_parts(g) for g in (cuts, dangles, invalid)])
    x0, y0, x1, y1 = shapely.total_bounds(lines)
    far = 3 * access_m
    outer_box = shapely.box(x0 - far, y0 - far, x1 + far, y1 + far)
    margin = 1.5 * access_m
    box = shapely.box(x0 - margin, y0 - margin, x1 + margin, y1 + margin)
    around = shapely.difference(outer_box, shapely.coverage_union_all(faces))
    if whole_faces is not None and len(whole_faces) and len(faces):
        # a face of the pieces is either made of whole faces or meets none of them
        inside, _ = shapely.STRtree(whole_faces).query(
            shapely.point_on_surface(faces), predicate="intersects"
        )
        faces = np.delete(faces, np.unique(inside))
    shrunk = shapely.buffer(np.append(faces, around), -access_m, quad_segs=_QUAD_SEGS)
    # part by part: the region around the city falls apart into many once shrunk, and
    # each part loses only the reach of the loose pieces near it
    shrunk, whose = shapely.get_parts(shrunk, return_index=True)
    holes = _remove_loose(shrunk, loose, access_m=access_m)
    is_around = whose == len(faces)
    if whole_holes is not None:
        holes = np.concatenate([whole_holes, holes])
        is_around = np.concatenate([np.zeros(len(whole_holes), dtype=bool), is_around])
    parts, whose = shapely.get_parts(holes, return_index=True)
    return _box_minus_holes(box, parts, is_around[whose])


def pieces_to_service_area(
    lines: GeometryArray,
    frontier: np.ndarray,
    *,
    access_m: float,
    whole_faces: GeometryArray | None = None,
    whole_holes: GeometryArray | None = None,
) -> shapely.Geometry:
    """The walking area of street pieces whose inner blocks are known whole faces.

    :func:`faces_to_area` of the ``frontier`` pieces with ``whole_faces`` and
    ``whole_holes``; should GEOS reject the faces, :func:`lines_to_area` of all ``lines``.

    Parameters
    ----------
    lines : numpy.ndarray of shapely.LineString
        Every reachable piece (none missing or empty).
    frontier : numpy.ndarray of bool
        The pieces that bound or lie in a face that is not whole.
    access_m : float
        Buffer distance in metres (> 0).
    whole_faces, whole_holes : numpy.ndarray of shapely.Polygon, optional
        As for :func:`faces_to_area` (none: every piece is on the frontier).
    """
    if len(lines) == 0:
        return shapely.Polygon()
    try:
        return faces_to_area(
            lines[frontier], access_m=access_m, whole_faces=whole_faces, whole_holes=whole_holes
        )
    except shapely.errors.GEOSException as exc:  # pragma: no cover - a GEOS robustness net
        logger.warning("walking area by faces failed (%s); buffering and unioning instead", exc)
        return lines_to_area(lines, access_m=access_m)


def _present(lines: GeometryArray) -> GeometryArray:
    """The pieces that are neither missing nor empty."""
    arr = np.asarray(lines, dtype=object)
    kept: GeometryArray = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    return kept


def _remove_loose(shrunk: GeometryArray, loose: GeometryArray, *, access_m: float) -> GeometryArray:
    """Take the buffers of the pieces that bound no face away from the shrunk faces.

    The loose pieces fall into clusters whose buffers touch one another; each cluster's
    buffers are unioned (:func:`union_groups`), so that the clusters' reaches are pairwise
    apart, and each shrunk face loses, in one vectorised difference, the clusters that
    reach it (as one multi-polygon, which needs no union). Unioning all buffers of a face
    instead costs twice as much along a city's ragged edge.
    """
    holes = shrunk.copy()
    if len(loose) == 0:
        return holes
    merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(loose)))
    reach = shapely.buffer(merged, access_m, quad_segs=_QUAD_SEGS)
    reach = reach[~shapely.is_empty(reach)]
    tree = shapely.STRtree(reach)
    face, buf = tree.query(holes, predicate="intersects")
    if len(face) == 0:
        return holes
    a, b = tree.query(reach, predicate="intersects")
    graph = coo_array((np.ones(len(a)), (a, b)), shape=(len(reach), len(reach)))
    _, cluster = connected_components(graph, directed=False)
    cluster_reach = union_groups(reach, cluster)
    pairs = np.unique(np.stack([face, cluster[buf]], axis=1), axis=0)
    parts, whose = shapely.get_parts(cluster_reach[pairs[:, 1]], return_index=True)
    cut_faces, dense = np.unique(pairs[whose, 0], return_inverse=True)
    cut = shapely.multipolygons(parts, indices=dense)
    holes[cut_faces] = shapely.difference(holes[cut_faces], cut)
    return holes


def remove_loose_reach(
    holes: GeometryArray, loose: GeometryArray, *, access_m: float, owner: IndexArray
) -> GeometryArray:
    """Take from each hole the reach (``access_m``) of the loose pieces inside its face.

    Parameters
    ----------
    holes : numpy.ndarray of shapely.Polygon
        Faces shrunk by ``access_m``.
    loose : numpy.ndarray of shapely.LineString
        Pieces bounding no face (dead ends, cut edges), each inside one face.
    access_m : float
        Buffer distance in metres.
    owner : numpy.ndarray
        The face (position in ``holes``) each loose piece lies in.

    Returns
    -------
    numpy.ndarray of shapely geometry
        A new array; the buffers of one face's pieces are unioned (:func:`union_groups`).
    """
    out = holes.copy()
    if len(loose) == 0:
        return out
    face, group = np.unique(owner, return_inverse=True)
    reach = union_groups(shapely.buffer(loose, access_m, quad_segs=_QUAD_SEGS), group)
    out[face] = shapely.difference(out[face], reach)
    return out


def union_groups(polys: GeometryArray, group: IndexArray) -> GeometryArray:
    """The union of each group's polygons (groups ``0 .. group.max()``, none empty).

    A polygon alone in its group is taken as it is; the others are unioned in one
    vectorised call per band of group sizes (1, 2, 3-4, 5-8...), each band a table
    padded with missing values, so that a few large groups do not widen every row.
    Four times cheaper than one buffer of each group's pieces as a multi-line.
    """
    size = np.bincount(group)
    out = np.empty(len(size), dtype=object)
    order = np.argsort(group, kind="stable")
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - np.repeat(np.cumsum(size) - size, size)
    alone = size[group] == 1
    out[group[alone]] = polys[alone]
    lo = 2
    while lo <= int(size.max(initial=0)):
        hi = 2 * lo - 2  # bands 2, 3-4, 5-8, 9-16...
        band = (size >= lo) & (size <= hi)
        rows = np.flatnonzero(band)
        if len(rows):
            member = band[group]
            table = np.full((len(rows), int(size[rows].max())), None, dtype=object)
            table[np.searchsorted(rows, group[member]), rank[member]] = polys[member]
            out[rows] = shapely.union_all(table, axis=1)
        lo = hi + 1
    return out


def _box_minus_holes(
    box: shapely.Geometry, holes: GeometryArray, around: np.ndarray
) -> shapely.Geometry:
    """``box`` minus the pairwise-apart ``holes``; ``around`` marks the region around the city.

    The region around the city is taken away by an overlay (its parts cross the box's
    edge and may enclose whole street islands); then each hole from inside a face becomes
    an interior ring of the innermost polygon containing it, with no further overlay. A
    hole's own interior rings (a street island inside a block) are ground again: each is
    a polygon of its own, and may hold holes in turn. Should a hole fall in no polygon
    (it has not been seen to), everything goes through one plain difference instead.
    """
    keep = ~shapely.is_empty(holes)
    holes, around = holes[keep], around[keep]
    shells = shapely.get_parts(shapely.difference(box, shapely.multipolygons(holes[around])))
    inner = holes[~around]
    if len(inner) == 0:
        return _as_area(shells)
    island_rings, _ = _shell_rings(inner, interior_only=True)
    containers = np.concatenate([shells, shapely.polygons(island_rings)])
    # the tree holds the points: each container is prepared once, as the query geometry
    found, point = shapely.STRtree(shapely.point_on_surface(inner)).query(
        containers, predicate="contains_properly"
    )
    # islands lie inside the polygons around their blocks: the innermost (smallest) wins
    by_point = np.lexsort((shapely.area(containers)[found], point))
    first = np.r_[True, point[by_point][1:] != point[by_point][:-1]]
    point, owner_of_hole = point[by_point][first], found[by_point][first]
    if len(point) != len(inner):  # pragma: no cover - a robustness net
        cut: shapely.Geometry = shapely.difference(box, shapely.multipolygons(holes))
        return cut
    rings, owner = _shell_rings(containers)
    is_exterior = np.r_[True, owner[1:] != owner[:-1]]
    all_rings = np.concatenate([rings, shapely.get_exterior_ring(inner[point])])
    all_owner = np.concatenate([owner, owner_of_hole])
    all_exterior = np.concatenate([is_exterior, np.zeros(len(point), dtype=bool)])
    order = np.lexsort((~all_exterior, all_owner))  # by polygon, its exterior first
    polys = shapely.polygons(all_rings[order], indices=all_owner[order])
    return _as_area(polys)


def _shell_rings(
    shells: GeometryArray, *, interior_only: bool = False
) -> tuple[GeometryArray, IndexArray]:
    """Each polygon's exterior ring then its interior rings, with the polygon's index.

    With ``interior_only``, the interior rings alone.
    """
    n_int = shapely.get_num_interior_rings(shells)
    rings = [] if interior_only else [shapely.get_exterior_ring(shells)]
    owner = [] if interior_only else [np.arange(len(shells))]
    for k in range(int(n_int.max(initial=0))):
        has = np.flatnonzero(n_int > k)
        rings.append(shapely.get_interior_ring(shells[has], k))
        owner.append(has)
    if not rings:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    all_owner = np.concatenate(owner)
    order = np.argsort(all_owner, kind="stable")
    return np.concatenate(rings)[order], all_owner[order]


def _as_area(polys: GeometryArray) -> shapely.Geometry:
    """One polygon, or a multipolygon of several, or an empty polygon."""
    polys = polys[shapely.area(polys) > 0]
    if len(polys) == 0:
        return shapely.Polygon()
    if len(polys) == 1:
        single: shapely.Geometry = polys[0]
        return single
    multi: shapely.Geometry = shapely.multipolygons(polys)
    return multi


def measure_area_difference(
    area: shapely.Geometry, reference: shapely.Geometry, *, step_m: float = 0.25
) -> tuple[float, float]:
    """How far two areas are apart: the farthest stray point, and the differing share.

    Parameters
    ----------
    area, reference : shapely geometry
        Two (multi)polygons, e.g. :func:`faces_to_area` and :func:`lines_to_area` of the
        same pieces.
    step_m : float, default 0.25
        Spacing of the points checked along the edges of the differences.

    Returns
    -------
    gap_m : float
        At most (to within ``step_m``) the largest distance from a point of either area
        to the other area, i.e. the Hausdorff distance of the two regions: for each part
        of their differences, the farthest of its edge points from the other area plus
        the radius of the widest circle inside it (a point inside a part is no farther
        than that). A thin gap in one area far from the other's edge counts by its
        width, not by its distance from the nearest edge as the Hausdorff distance of the
        outlines would.
    share : float
        Area of the symmetric difference over the reference's area (0 for two empty
        areas).
    """
    gap = max(
        _farthest_outside(area, reference, step_m), _farthest_outside(reference, area, step_m)
    )
    diff = float(shapely.area(shapely.symmetric_difference(area, reference)))
    ref_area = float(shapely.area(reference))
    share = diff / ref_area if ref_area > 0 else (0.0 if diff == 0 else float("inf"))
    return gap, share


def _farthest_outside(area: shapely.Geometry, other: shapely.Geometry, step_m: float) -> float:
    """At most the largest distance from a point of ``area`` outside ``other`` to ``other``."""
    rest = shapely.get_parts(shapely.difference(area, other))
    rest = rest[shapely.area(rest) > 0]
    if len(rest) == 0:
        return 0.0
    if shapely.is_empty(other):
        return float("inf")
    dense, part = shapely.get_coordinates(shapely.segmentize(rest, step_m), return_index=True)
    rings = shapely.get_parts(shapely.boundary(other))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    edges = shapely.linestrings(np.stack([xy[:-1][same], xy[1:][same]], axis=1))
    tree = shapely.STRtree(edges)
    _, dist = tree.query_nearest(shapely.points(dense), return_distance=True, all_matches=False)
    edge_max = np.zeros(len(rest))
    np.maximum.at(edge_max, part, dist)
    inner = shapely.length(shapely.maximum_inscribed_circle(rest, step_m / 4))
    return float((edge_max + inner).max())
