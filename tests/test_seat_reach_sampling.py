"""Seat reach along streets, cross-checked by brute force: sample every street densely.

``seat_reach`` measures covered street length edge by edge from the walking distance at each
edge's two ends. This test measures the same thing another way — points every metre along
every street, each snapped and routed to its nearest seat as a resident would be — so double
counting of split edges, or a wrong partial-edge formula, shows up as a mismatch.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from lifecircle.coverage import (
    build_split_graph,
    load_demo_network,
    nearest_facility,
    seat_reach,
    seconds_to_points,
    snap_points,
)
from lifecircle.coverage.routing.profiles import WalkProfile
from lifecircle.geo import load_demo_layers


@pytest.mark.slow
@pytest.mark.parametrize("reach_m", [50.0, 100.0])
def test_street_share_equals_dense_sampling_on_the_demo(reach_m: float) -> None:
    layers = load_demo_layers()
    network = load_demo_network()
    edges = network.edges
    step_m = 1.0
    lengths = edges["length_m"].to_numpy()
    counts = np.maximum(np.round(lengths / step_m).astype(int), 1)
    owner = np.repeat(np.arange(len(edges)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    fraction = (np.arange(len(owner)) - first + 0.5) / counts[owner]
    points = shapely.line_interpolate_point(
        edges.geometry.to_numpy()[owner], fraction, normalized=True
    )
    samples = gpd.GeoDataFrame(geometry=points, crs=network.crs)
    sample_length = lengths[owner] / counts[owner]

    metres = WalkProfile("metres", 1.0)  # one "second" per metre, no penalties
    seats = layers.seats.to_crs(network.crs)
    graph = build_split_graph(network, snap_points(network, seats, max_snap_m=100.0),
                              profile=metres)  # fmt: skip
    nearest = nearest_facility(graph, limit_s=reach_m)
    snapped = snap_points(network, samples, max_snap_m=1.0)
    assert (snapped["edge"].to_numpy() == owner).mean() > 0.99  # samples stay on their street
    distance, _ = seconds_to_points(graph, nearest, snapped)
    brute = float(sample_length[distance <= reach_m].sum())

    reach = seat_reach(layers, network, reach_m=reach_m)
    assert reach.street_length_m == pytest.approx(lengths.sum())
    # sampling at 1 m resolves each covered interval to within about a metre per end
    assert reach.covered_length_m == pytest.approx(brute, rel=0.01)
