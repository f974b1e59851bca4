"""``suggest_seats``: where new public seats do the most good, each suggestion explained.

Objective (maximal covering on one weighted demand set, documented choice):

- **residents**: every demand point (``weight`` = residents) *not yet* within ``radius_m``
  walk of a seat counts with its weight when a new seat comes within ``radius_m``;
- **rest gaps**: each too-long seat-less stretch on residents' walks to their nearest
  elderly service (see :func:`lifecircle.coverage.measures.seats.rest_gaps`) is sampled every
  ``spacing_m``; the samples share ``gap_weight x`` the residents whose worst gap it is,
  so a seat reaching the whole stretch earns that many "resident" points.

With ``target_share`` only residents count: the fewest seats bringing that share of all
residents within ``radius_m`` of a seat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from lifecircle.coverage.measures.demand import demand_from_layers
from lifecircle.coverage.measures.seats import (
    RestGaps,
    SeatReach,
    elderly_routes,
    rest_gaps,
    seat_reach,
)
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.options import SeatOptions
from lifecircle.coverage.placement.candidates import (
    candidate_points,
    candidates_along_streets,
    exclude_candidates,
    thin_candidates,
)
from lifecircle.coverage.placement.costs import walk_costs
from lifecircle.coverage.placement.model import CoverageModel
from lifecircle.coverage.placement.result import PlacementResult
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.errors import InfeasibleError, ParameterError
from lifecircle.options import check_number, with_overrides

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["SeatSuggestions", "suggest_seats"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeatSuggestions:
    """Suggested seat sites, why each helps, and the before/after comparison.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        In EPSG:4326, one row per suggested site in rank order: ``rank``, ``candidate``,
        ``gain_residents`` (residents newly within ``radius_m`` of a seat),
        ``gain_gap_residents`` (gap-objective points), ``gain_total``, ``grids`` (grids that
        benefit, most first), ``routes_helped`` (too-long gaps the seat reaches),
        ``street`` (nearest street name), ``nearest_seat_m`` (straight-line metres to the
        nearest existing seat).
    comparison : pandas.DataFrame
        Per leaf grid, before vs after: ``reach_before``, ``reach_after`` (share of
        residents within ``radius_m`` of a seat), ``rest_ok_before``, ``rest_ok_after``
        (share whose longest gap is at most ``max_gap_m``), ``worst_gap_before_m``,
        ``worst_gap_after_m``.
    placement : PlacementResult
        The solver's answer (objective, bound, gap, status, time).
    n_candidates : int
        Candidates offered to the solver after exclusions and thinning.
    reach_before : SeatReach
        Seat reach of the existing seats at ``radius_m``: the figures the suggestions start
        from, as :func:`~lifecircle.coverage.measures.seats.seat_reach` gives them (computed
        once here, so a caller printing them need not compute them again).
    gaps_before : RestGaps
        Rest gaps of the existing seats at ``max_gap_m``, as
        :func:`~lifecircle.coverage.measures.seats.rest_gaps` gives them.
    """

    sites: gpd.GeoDataFrame
    comparison: pd.DataFrame
    placement: PlacementResult
    n_candidates: int
    radius_m: float
    max_gap_m: float
    reach_before: SeatReach = field(repr=False, compare=False)
    gaps_before: RestGaps = field(repr=False, compare=False)
    notes: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        return (
            f"SeatSuggestions({len(self.sites)} site(s) from {self.n_candidates} candidates, "
            f"+{self.sites['gain_residents'].sum():.0f} residents within {self.radius_m:g} m, "
            f"status={self.placement.status}, gap={100 * self.placement.gap:.3g}%)"
        )


def _gap_samples(
    segments: gpd.GeoDataFrame, *, spacing_m: float, gap_weight: float
) -> gpd.GeoDataFrame:
    """Points every ``spacing_m`` along each too-long gap, sharing its weight."""
    if len(segments) == 0 or gap_weight <= 0:
        return gpd.GeoDataFrame(
            {"segment": [], "weight": [], "grids": []}, geometry=[], crs=segments.crs
        )
    lines = segments.geometry.to_numpy()
    count = np.maximum(1, np.round(shapely.length(lines) / spacing_m)).astype(np.int64)
    seg = np.repeat(np.arange(len(lines)), count)
    piece = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    pts = shapely.line_interpolate_point(lines[seg], (piece + 0.5) / count[seg], normalized=True)
    weight = gap_weight * segments["weight"].to_numpy(dtype=float)[seg] / count[seg]
    grids = segments["grids"].to_numpy()[seg] if "grids" in segments else np.full(len(seg), "")
    return gpd.GeoDataFrame(
        {"segment": seg, "weight": weight, "grids": grids}, geometry=pts, crs=segments.crs
    )


def _candidate_sites(
    layers: Layers, net: WalkNetwork, candidates: gpd.GeoDataFrame | None, opts: SeatOptions
) -> gpd.GeoDataFrame:
    if candidates is None:
        cands = candidates_along_streets(net, spacing_m=opts.spacing_m)
    else:
        cands = candidate_points(candidates, crs=net.crs)
    return exclude_candidates(
        cands,
        heritage=getattr(layers, "heritage", None),
        heritage_buffer_m=opts.heritage_buffer_m,
        existing_seats=layers.seats,
        min_spacing_m=opts.min_spacing_m,
    )


def suggest_seats(
    layers: Layers,
    network: WalkNetwork,
    *,
    k: int | None = None,
    target_share: float | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    options: SeatOptions | None = None,
    **overrides: object,
) -> SeatSuggestions:
    """Suggest where new public seats do the most good for older residents.

    Parameters
    ----------
    layers : lifecircle.geo.Layers
        Needs ``grids``, ``seats``, ``elderly``; uses ``buildings`` and ``heritage``.
    network : WalkNetwork
    k : int, optional
        Number of new seat sites (maximal covering). Give ``k`` or ``target_share``.
    target_share : float, optional
        Share of all residents to bring within ``radius_m`` of a seat (fewest new sites).
    candidates : GeoDataFrame, optional
        Your own candidate sites (e.g. shops willing to share seats), indexed by id; a
        polygon or line stands for its representative point (inside it). Default: points
        every ``spacing_m`` along public walkable streets.
    options : SeatOptions, optional
        Candidate spacing, seat reach, exclusions, required and forbidden sites and the
        solver's method and time limit (default ``SeatOptions()``).
    **overrides
        Any option of :class:`~lifecircle.coverage.options.SeatOptions` by name
        (``spacing_m``, ``radius_m``, ``min_spacing_m``, ``heritage_buffer_m``,
        ``max_gap_m``, ``gap_weight``, ``required``, ``forbidden``, ``method``,
        ``time_limit_s``, ``max_snap_m``), applied on top of ``options``.

    Returns
    -------
    SeatSuggestions

    Raises
    ------
    ValueError
        An option out of range (see :class:`SeatOptions`), neither or both of ``k`` and
        ``target_share``, a ``k`` that is not a positive integer or a ``target_share``
        outside [0, 1] — all before any work.
    InfeasibleError
        No candidate left after the exclusions, ``k`` larger than the candidates, or a
        ``target_share`` out of reach (the message gives the largest reachable share).
    """
    opts = with_overrides(options, overrides, kind=SeatOptions, function="suggest_seats")
    target_share = _check_goal(k, target_share)
    net = network.without_penalties()
    demand = demand_from_layers(
        layers.grids, crs=net.crs, buildings=getattr(layers, "buildings", None)
    )
    radius_m, max_gap_m, snap_m = opts.radius_m, opts.max_gap_m, opts.max_snap_m
    # one snapping distance for homes, seats, routes, gap samples and candidates alike
    before = seat_reach(layers, net, reach_m=radius_m, demand=demand, max_snap_m=snap_m)
    routes = elderly_routes(layers, network, demand=demand, max_snap_m=snap_m)
    gaps_before = rest_gaps(layers, network, routes=routes, max_gap_m=max_gap_m)
    open_demand = demand[~(before.distance_m.to_numpy() <= radius_m)]
    use_gaps = target_share is None
    samples = _gap_samples(
        gaps_before.segments,
        spacing_m=opts.spacing_m,
        gap_weight=opts.gap_weight if use_gaps else 0.0,
    )
    points = pd.concat(
        [open_demand[["weight", "geometry"]], samples[["weight", "geometry"]]], ignore_index=True
    )
    points = gpd.GeoDataFrame(points, geometry="geometry", crs=net.crs)
    cands = _candidate_sites(layers, net, candidates, opts)
    full = CoverageModel.from_costs(
        walk_costs(points, cands, net, max_walk_m=radius_m, max_snap_m=snap_m),
        max_cost=radius_m,
        weights=points["weight"].to_numpy(),
        candidate_ids=cands.index,
    )
    model = _thinned_model(full, cands, opts)
    share = _model_share(model, before, target_share, n_residents=len(open_demand))
    placement = model.solve(
        k,
        target_share=share,
        method=opts.method,
        time_limit_s=opts.time_limit_s,
        required=opts.required,
    )
    sites = _explain(
        placement,
        model,
        cands,
        layers,
        net,
        n_residents=len(open_demand),
        open_demand=open_demand,
        samples=samples,
    )
    comparison = _compare(
        layers,
        net,
        demand,
        routes,
        sites,
        before,
        gaps_before,
        radius_m=radius_m,
        max_gap_m=max_gap_m,
        max_snap_m=snap_m,
    )
    return SeatSuggestions(
        sites.to_crs("EPSG:4326"),
        comparison,
        placement,
        model.n_candidates,
        float(radius_m),
        float(max_gap_m),
        before,
        gaps_before,
        placement.notes,
    )


def _check_goal(k: int | None, target_share: float | None) -> float | None:
    """Exactly one of ``k`` (a positive integer) and ``target_share`` (a share in [0, 1]).

    Checked before any work; :meth:`CoverageModel.solve` would find the same problems
    only after the walking distances are computed.
    """
    if (k is None) == (target_share is None):
        raise ParameterError("give exactly one of k (number of sites) and target_share")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1):
        raise ParameterError(f"k must be a positive integer, got {k!r}")
    if target_share is None:
        return None
    return check_number("target_share", target_share, allow_zero=True, at_most=1)


def _model_share(
    model: CoverageModel, before: SeatReach, target_share: float | None, *, n_residents: int
) -> float | None:
    """Turn a share of *all* residents into a share of the model's (uncovered) weight."""
    if target_share is None:
        return None
    total = float(before.grids["weight"].sum())
    covered = float(before.grids["weight_within"].sum())
    need = target_share * total - covered
    reachable = covered + model.reduce().coverable_weight
    if target_share * total > reachable + 1e-9:
        short = target_share * total - reachable
        raise InfeasibleError(
            f"target share {target_share:.1%} of residents within {model.max_cost:g} m of a seat "
            f"cannot be reached: existing seats reach {covered / total:.2%} and every allowed "
            f"candidate together at most {reachable / total:.2%}, "
            f"{100 * short / total:.2f} percentage points ({short:,.0f} residents) short; "
            f"lower target_share or offer more candidate sites"
        )
    if need <= 0:
        raise ValueError(
            f"target share {target_share:.1%} is already met by the existing seats "
            f"({covered / total:.2%}); no new seat is needed"
        )
    return min(need / model.total_weight, 1.0)


def _thinned_model(
    full: CoverageModel, cands: gpd.GeoDataFrame, opts: SeatOptions
) -> CoverageModel:
    """Drop forbidden candidates and thin the rest (required first, then by single gain)."""
    required, forbidden = list(opts.required), list(opts.forbidden)
    unknown = [c for c in [*required, *forbidden] if c not in full.candidate_ids]
    if unknown:
        raise ValueError(
            f"required/forbidden ids are not candidates (or were excluded by the heritage or "
            f"spacing rules): {unknown[:10]}"
        )
    priority = np.asarray(full.by_candidate @ full.weights, dtype=float)
    priority[full.candidate_ids.get_indexer(required)] = np.inf
    allowed = ~full.candidate_ids.isin(forbidden)
    thinned = thin_candidates(
        cands[allowed], min_spacing_m=opts.min_spacing_m, priority=priority[allowed]
    )
    cols = np.sort(full.candidate_ids.get_indexer(thinned.index))
    return CoverageModel(
        sparse.csr_array(full.coverage[:, cols]),
        full.weights,
        full.candidate_ids[cols],
        full.demand_ids,
        full.max_cost,
    )


def _grid_gains(
    res_weight: np.ndarray, res_grid: np.ndarray, gap_weight: np.ndarray, gap_grids: np.ndarray
) -> pd.Series:
    """Gain per grid: residents newly near a seat plus the residents of the gaps it breaks.

    A gap sample's weight is split evenly among the grids whose residents walk that gap.
    """
    names, weights = list(res_grid), list(res_weight)
    for weight, grids in zip(gap_weight, gap_grids, strict=True):
        parts = [g for g in str(grids).split(",") if g]
        names += parts
        weights += [weight / len(parts)] * len(parts)
    return pd.Series(weights, dtype=float).groupby(pd.Series(names, dtype=str)).sum()


def _explain(
    placement: PlacementResult,
    model: CoverageModel,
    cands: gpd.GeoDataFrame,
    layers: Layers,
    net: WalkNetwork,
    *,
    n_residents: int,
    open_demand: pd.DataFrame,
    samples: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """One row per chosen site: gains split by objective, grids, gaps, street, nearest seat."""
    chosen = list(placement.selected)
    cols = model.candidate_ids.get_indexer(chosen)
    by_cand = model.by_candidate
    taken = np.zeros(model.n_demand, dtype=bool)
    grid_of = open_demand["grid_id"].astype(str).to_numpy()
    seg_of = samples["segment"].to_numpy()
    gap_grids = samples["grids"].astype(str).to_numpy()
    rows = []
    for rank, col in enumerate(cols, start=1):
        reach = by_cand.indices[by_cand.indptr[col] : by_cand.indptr[col + 1]]
        new = reach[~taken[reach]]
        taken[new] = True
        res, gap = new[new < n_residents], new[new >= n_residents]
        per_grid = _grid_gains(
            model.weights[res], grid_of[res], model.weights[gap], gap_grids[gap - n_residents]
        )
        rows.append(
            {
                "rank": rank,
                "gain_residents": float(model.weights[res].sum()),
                "gain_gap_residents": float(model.weights[gap].sum()),
                "grids": ",".join(per_grid.sort_values(ascending=False, kind="stable").index[:5]),
                "routes_helped": len(np.unique(seg_of[gap - n_residents])),
            }
        )
    sites = gpd.GeoDataFrame(
        pd.DataFrame(
            rows, columns=["rank", "gain_residents", "gain_gap_residents", "grids", "routes_helped"]
        ),
        geometry=cands.geometry.loc[chosen].to_numpy(),
        crs=cands.crs,
    )
    sites.insert(1, "candidate", chosen)
    sites.insert(4, "gain_total", sites["gain_residents"] + sites["gain_gap_residents"])
    snapped = snap_points(net, sites)
    sites["street"] = net.edges["name"].to_numpy()[snapped["edge"].to_numpy(dtype=np.int64)]
    seat_pts = layers.seats.to_crs(net.crs).geometry.to_numpy()
    if len(seat_pts) and len(sites):
        _, dist = shapely.STRtree(seat_pts).query_nearest(
            sites.geometry.to_numpy(), return_distance=True, all_matches=False
        )
        sites["nearest_seat_m"] = dist
    else:
        sites["nearest_seat_m"] = np.inf
    return sites


def _compare(
    layers: Layers,
    net: WalkNetwork,
    demand: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    before: SeatReach,
    gaps_before: RestGaps,
    *,
    radius_m: float,
    max_gap_m: float,
    max_snap_m: float,
) -> pd.DataFrame:
    """Per grid, seat reach and rest-gap figures before and after adding ``sites``."""
    seats = layers.seats.to_crs(net.crs)
    new = gpd.GeoDataFrame(
        {"seats": np.ones(len(sites), dtype=int)}, geometry=sites.geometry, crs=sites.crs
    )
    after_seats = gpd.GeoDataFrame(
        pd.concat([seats[["seats", "geometry"]], new], ignore_index=True),
        geometry="geometry",
        crs=net.crs,
    )
    after = seat_reach(
        layers, net, reach_m=radius_m, demand=demand, seats=after_seats, max_snap_m=max_snap_m
    )
    gaps_after = rest_gaps(layers, net, routes=routes, seats=after_seats, max_gap_m=max_gap_m)
    return pd.DataFrame(
        {
            "residents": before.grids["weight"],
            "reach_before": before.grids["share"],
            "reach_after": after.grids["share"],
            "rest_ok_before": gaps_before.grids["share_ok"],
            "rest_ok_after": gaps_after.grids["share_ok"],
            "worst_gap_before_m": gaps_before.grids["worst_gap_m"],
            "worst_gap_after_m": gaps_after.grids["worst_gap_m"],
        }
    )
