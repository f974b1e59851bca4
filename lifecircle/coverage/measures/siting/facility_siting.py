"""``suggest_facilities``: where ``k`` new facilities of a service should go, each explained.

"Where should the next two elderly stations go?" The existing facilities stay (a resident
they already bring within the time budget counts as covered); the new sites are chosen
among candidates — a layer the planner gives (vacant ground-floor units), the buildings
layer, or points along public streets — with heritage footprints (+ a buffer), private
ways and, on request, conservation areas excluded. Three questions
(:data:`~lifecircle.coverage.measures.siting.siting_options.OBJECTIVES`):

- ``covering``: most residents newly within the budget — the placement core
  (:class:`~lifecircle.coverage.placement.model.CoverageModel`: reduction, greedy, Lagrangian
  bound, HiGHS) on the residents not yet covered; with capacities, the capacitated model
  (:mod:`lifecircle.coverage.placement.capacitated`);
- ``total``: least total walk (p-median, :mod:`lifecircle.coverage.placement.p_median`);
- ``worst``: shortest longest walk (p-center, :mod:`lifecircle.coverage.placement.p_center`).

Walks are along the walking network at the coverage's profile, from the same demand points
and snapping as :func:`~lifecircle.coverage.compute_coverage` (the existing walks are its
``minutes``; the new sites' come from
:func:`~lifecircle.coverage.routing.time_matrix.travel_time_matrix` on a split graph of the
candidates). Walks longer than ``SEARCH_FACTOR`` times the budget — where the coverage stops
looking — count as that long for ``total`` and ``worst``.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from lifecircle.coverage.measures.demand import demand_from_layers
from lifecircle.coverage.measures.service_coverage import (
    SEARCH_FACTOR,
    ServiceSpec,
    compute_coverage,
    default_services,
)
from lifecircle.coverage.measures.siting.siting_explain import (
    compare_grids,
    explain_sites,
    rank_for_worst,
)
from lifecircle.coverage.measures.siting.siting_options import SitingOptions
from lifecircle.coverage.measures.siting.siting_problem import SitingProblem
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.options import CoverageOptions
from lifecircle.coverage.placement.candidates import (
    PRIVATE_ACCESS,
    candidate_points,
    candidates_along_streets,
    thin_candidates,
)
from lifecircle.coverage.placement.capacitated import solve_capacitated_covering
from lifecircle.coverage.placement.model import CoverageModel
from lifecircle.coverage.placement.p_center import WorstWalkRelief, solve_p_center
from lifecircle.coverage.placement.p_median import savings_matrix, solve_p_median
from lifecircle.coverage.routing.snap import snap_points
from lifecircle.coverage.routing.split_graph import build_split_graph
from lifecircle.coverage.routing.time_matrix import travel_time_matrix
from lifecircle.errors import InfeasibleError, LayerError, ParameterError
from lifecircle.options import with_overrides
from lifecircle.typing import BoolArray, FloatArray

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["FacilitySuggestions", "siting_problem", "suggest_facilities"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FacilitySuggestions:
    """Suggested sites for new facilities, why each helps, and how good the choice is.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        EPSG:4326, one row per site in rank order (each adds the most given those before):
        ``rank``, ``candidate``, ``name`` (the candidate's, when it has one), ``street``
        (nearest street), ``gain_residents`` (residents newly within the budget; with
        capacities, those the site can serve), ``gain_minutes`` (resident-minutes of walk
        saved), ``worst_minutes`` (longest walk once the sites up to this rank open, among
        residents with a facility within ``SEARCH_FACTOR`` times the budget), and
        ``grids`` (grids that reach the target share because of this site).
    comparison : pandas.DataFrame
        Per grid (every level): ``residents``, ``share_before``, ``share_after``,
        ``covered_before``, ``covered_after``.
    objective : str
        ``"covering"``, ``"total"`` or ``"worst"``.
    value, bound, gap : float
        The objective reached (residents newly covered; resident-minutes in total; worst
        minutes), a proven bound on the best possible (upper for covering, lower for the
        others) and the relative gap between them (0: proven optimal).
    status, method : str
        ``"optimal"``, ``"time_limit"`` or ``"heuristic"``; ``"greedy"`` or ``"milp"``.
    candidates : geopandas.GeoDataFrame
        The candidates offered to the solver (EPSG:4326), indexed by id.
    notes : tuple of str
        Caveats from the solver (English), other than sites left out.
    requested : int
        The number of new sites asked for; fewer come back when the others would add
        nothing (``len(sites) < requested``).
    relief : WorstWalkRelief, optional
        Objective ``"worst"`` only, when no ``requested`` sites shorten the longest walk
        (``value`` is then today's): the residents who walk it and how many of them the
        sites — chosen for this — bring nearer, with a proven bound. None otherwise.
    """

    sites: gpd.GeoDataFrame
    comparison: pd.DataFrame
    service: str
    objective: str
    walk_minutes: float
    value: float
    bound: float
    gap: float
    status: str
    method: str
    candidates: gpd.GeoDataFrame
    notes: tuple[str, ...] = field(default=())
    requested: int = 0
    relief: WorstWalkRelief | None = None

    @property
    def n_candidates(self) -> int:
        """Candidates offered to the solver."""
        return len(self.candidates)

    def __repr__(self) -> str:
        return (
            f"FacilitySuggestions({self.service}, {self.objective}: {len(self.sites)} site(s) "
            f"from {self.n_candidates} candidates, "
            f"+{self.sites['gain_residents'].sum():.0f} residents within "
            f"{self.walk_minutes:g} min, status={self.status}, gap={100 * self.gap:.3g}%)"
        )


def suggest_facilities(
    layers: Layers,
    network: WalkNetwork,
    *,
    k: int,
    service: str | Mapping[str, ServiceSpec] = "elderly",
    candidates: gpd.GeoDataFrame | None = None,
    coverage: CoverageOptions | None = None,
    options: SitingOptions | None = None,
    **overrides: object,
) -> FacilitySuggestions:
    """Suggest where ``k`` new facilities of ``service`` do the most good.

    Parameters
    ----------
    layers : lifecircle.geo.Layers
        Needs ``grids``, ``elderly`` (the existing facilities) and ``heritage``; uses
        ``buildings`` (demand points and default candidates) and ``conservation``.
    network : WalkNetwork
    k : int
        Number of new sites.
    service : str or mapping
        One of the standard services (:func:`~lifecircle.coverage.default_services`),
        default ``"elderly"``, or one service as ``{name: spec}`` (elderly type codes or a
        facilities GeoDataFrame, as for :func:`~lifecircle.coverage.compute_coverage`).
    candidates : GeoDataFrame, optional
        Your candidate sites (e.g. vacant ground-floor units), indexed by id; a polygon
        stands for a point inside it; a ``name`` column is kept, a capacity column used
        with ``capacity_column``. Default: see ``candidate_source``.
    coverage : CoverageOptions, optional
        Walking profile, time budget, snapping and target share (default
        ``CoverageOptions()``).
    options : SitingOptions, optional
        Objective, candidates, exclusions, capacities and solver settings.
    **overrides
        Any option of :class:`~lifecircle.coverage.measures.siting.siting_options.SitingOptions`.

    Returns
    -------
    FacilitySuggestions

    Raises
    ------
    ParameterError
        ``k`` not a positive integer, or an unknown service (with the closest name).
    InfeasibleError
        No candidate left after the exclusions, or ``k`` larger than the candidates.
    LayerError
        A ``capacity_column`` the candidate layer does not have, or bad values in it.
    """
    opts = with_overrides(options, overrides, kind=SitingOptions, function="suggest_facilities")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ParameterError(f"k must be a positive integer, got {k!r}")
    cov = dataclasses.replace(coverage or CoverageOptions(), isochrones=False)
    if isinstance(service, Mapping):
        if len(service) != 1:
            raise ParameterError(f"service: give one {{name: spec}}, got {len(service)} services")
        specs = dict(service)
        service = next(iter(specs))
    else:
        specs = default_services(layers)
    if service not in specs:
        close = difflib.get_close_matches(str(service), list(specs), n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ParameterError(
            f"unknown service {service!r}; expected one of {', '.join(specs)}{hint}"
        )
    problem = siting_problem(
        layers, network, service=service, spec=specs[service], candidates=candidates,
        coverage=cov, options=opts,
    )  # fmt: skip
    n_cand = len(problem.candidates)
    if k > n_cand:
        raise InfeasibleError(
            f"{k} new sites requested but only {n_cand} candidate site(s) remain after the "
            "exclusions; offer more candidates or ask for fewer sites"
        )
    chosen, served, outcome = _solve(problem, k, opts)
    opened = problem.opened(chosen)
    order = list(range(len(chosen)))
    sites = explain_sites(opened, order, served, layers=layers, network=network)
    # Sites left out are told by ``requested`` and ``status`` (the tables say why in both
    # languages); the solvers' own English sentences about them would repeat it.
    notes = [note for note in outcome.notes if not note.endswith("were left out")]
    return FacilitySuggestions(
        sites=sites,
        comparison=compare_grids(opened, order, layers=layers, service=service),
        service=service,
        objective=opts.objective,
        walk_minutes=problem.walk_minutes,
        value=outcome.value,
        bound=outcome.bound,
        gap=outcome.gap,
        status=outcome.status,
        method=outcome.method,
        candidates=problem.candidates.to_crs(4326),
        notes=tuple(dict.fromkeys(notes)),
        requested=k,
        relief=outcome.relief,
    )


@dataclass(frozen=True)
class _Outcome:
    value: float
    bound: float
    status: str
    method: str
    notes: tuple[str, ...] = ()
    relief: WorstWalkRelief | None = None

    @property
    def gap(self) -> float:
        if self.status == "optimal":
            return 0.0
        return abs(self.bound - self.value) / max(abs(self.value), 1e-9)


def _solve(
    problem: SitingProblem, k: int, opts: SitingOptions
) -> tuple[list[int], list[float] | None, _Outcome]:
    """Run the objective's solver: the chosen positions in rank order, with capacities
    what each serves, and the outcome."""
    weights, walk = problem.weights, problem.walk_minutes
    cap = np.minimum(problem.existing, problem.cap_minutes)
    if opts.objective == "covering":
        open_rows = np.flatnonzero(~(problem.existing <= walk) & (weights > 0))
        sub = sparse.csr_array(problem.minutes[open_rows])
        reach = sparse.csr_array((sub.data <= walk, sub.indices, sub.indptr), shape=sub.shape)
        reach.eliminate_zeros()
        if np.isfinite(problem.capacity).any():
            cap_out = solve_capacitated_covering(
                reach, weights[open_rows], problem.capacity, k, time_limit_s=opts.time_limit_s
            )
            outcome = _Outcome(cap_out.served, cap_out.bound, cap_out.status, "milp")
            return list(cap_out.selected), list(cap_out.gains), outcome
        model = CoverageModel.from_costs(reach, weights=weights[open_rows])
        placed = model.solve(k, method=opts.method, time_limit_s=opts.time_limit_s)
        outcome = _Outcome(
            placed.objective, placed.bound, placed.status, placed.method, placed.notes
        )
        chosen = model.candidate_ids.get_indexer(list(placed.selected))
        return [int(j) for j in chosen], None, outcome
    if opts.objective == "total":
        total = float(weights @ cap)
        median = solve_p_median(
            savings_matrix(problem.minutes, cap), weights, k, method=opts.method,
            time_limit_s=opts.time_limit_s,
        )  # fmt: skip
        outcome = _Outcome(
            total - median.saving, total - median.bound, median.status, median.method,
            median.notes,
        )  # fmt: skip
        return list(median.selected), None, outcome
    # points no candidate reaches sooner than today keep their walk whatever is chosen:
    # the longest walk the new sites can shorten is the one to minimise (noted)
    best_new = np.full(len(weights), np.inf)
    coo = sparse.coo_array(problem.minutes)
    np.minimum.at(best_new, coo.row, coo.data)
    movable = best_new < cap
    rows = np.flatnonzero((weights > 0) & movable)
    center = solve_p_center(
        sparse.csr_array(problem.minutes[rows]), cap[rows], k, time_limit_s=opts.time_limit_s,
        weights=weights[rows],
    )  # fmt: skip
    stuck = (weights > 0) & ~movable & (cap > center.worst)
    notes: tuple[str, ...] = ()
    if stuck.any():
        notes = (
            f"{weights[stuck].sum():,.0f} residents walk longer than "
            f"{center.worst:.1f} min whatever the new sites (no candidate is nearer to them "
            "than today); the longest walk minimised is that of the others",
        )
    outcome = _Outcome(
        center.worst, center.lower, center.status, center.method, notes, center.relief
    )
    return rank_for_worst(problem, [int(j) for j in center.selected]), None, outcome


def siting_problem(
    layers: Layers,
    network: WalkNetwork,
    *,
    service: str,
    spec: ServiceSpec,
    candidates: gpd.GeoDataFrame | None,
    coverage: CoverageOptions,
    options: SitingOptions,
) -> SitingProblem:
    """Demand, existing walks, candidates (excluded, snapped, thinned) and their walks."""
    base = compute_coverage(
        layers, network, options=coverage, services={service: spec}, progress=False
    )
    demand = demand_from_layers(
        layers.grids,
        crs=network.crs,
        buildings=getattr(layers, "buildings", None),
        spacing_m=coverage.spacing_m,
    )
    existing = base.minutes(service).to_numpy(dtype=float)
    if len(existing) != len(demand):  # the same call as compute_coverage's: cannot differ
        raise RuntimeError("demand points differ from the coverage's")
    cands = _candidate_sites(layers, network, candidates, options)
    c_snap = snap_points(network, cands, max_snap_m=coverage.max_snap_m)
    usable = c_snap["snapped"].to_numpy(dtype=bool) & ~_on_private_way(network, c_snap)
    dropped = int((~usable).sum())
    if dropped:
        logger.info("%d candidate(s) off the network or on a private way: left out", dropped)
    if not usable.any():
        raise InfeasibleError(
            f"no candidate site is within {coverage.max_snap_m:g} m of a public walkable way"
        )
    cands, c_snap = cands[usable], c_snap[usable].reset_index(drop=True)
    walk, cap_minutes = float(coverage.walk_minutes), SEARCH_FACTOR * coverage.walk_minutes
    weights = demand["weight"].to_numpy(dtype=float)
    if options.objective == "covering":  # only the residents not yet covered, in time
        rows, limit = np.flatnonzero(~(existing <= walk) & (weights > 0)), walk
    else:
        rows, limit = np.flatnonzero(weights > 0), cap_minutes
    keep = prethin_candidates(cands, demand.iloc[rows], existing[rows], limit, options)
    cands, c_snap = cands[keep], c_snap[keep].reset_index(drop=True)
    graph = build_split_graph(network, c_snap, profile=coverage.walk_profile)
    d_snap = snap_points(network, demand, max_snap_m=coverage.max_snap_m)
    seconds = sparse.coo_array(travel_time_matrix(graph, d_snap.iloc[rows], limit_s=limit * 60.0))
    minutes = sparse.csr_array(
        (seconds.data / 60.0, (rows[seconds.row], seconds.col)), shape=(len(demand), len(cands))
    )
    problem = SitingProblem(
        demand, existing, cands.assign(edge=c_snap["edge"].to_numpy()), minutes,
        _capacities(cands, options), walk, float(cap_minutes), float(coverage.target_share),
        graph, d_snap, np.arange(len(cands), dtype=np.int64),
    )  # fmt: skip
    return _thinned(problem, options)


#: More candidates than this are first thinned with a straight-line proxy of their gain
#: (before any walk is measured), so that a district's every street front stays tractable.
MAX_ROUTED_CANDIDATES = 2000


def prethin_candidates(
    cands: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    existing: FloatArray,
    limit_minutes: float,
    options: SitingOptions,
) -> BoolArray:
    """Which candidates to route: all when few, else thinned by ``min_spacing_m``.

    The proxy priority is the residents (times their current walk, capped, for ``total``
    and ``worst``) in the square around the candidate of half-side the distance walked in
    ``limit_minutes`` at 1 m/s (summed on a raster of an eighth of that side, with prefix
    sums: linear in points and candidates) — a walk is never shorter than the straight
    line, so no resident the candidate could reach is left out of its count.
    """
    keep: BoolArray = np.ones(len(cands), dtype=bool)
    if len(cands) <= MAX_ROUTED_CANDIDATES or options.min_spacing_m <= 0:
        return keep
    xy = shapely.get_coordinates(demand.geometry.to_numpy())
    value = demand["weight"].to_numpy(dtype=float)
    if options.objective != "covering":
        value = value * np.minimum(existing, limit_minutes)
    priority = _box_sums(xy, value, shapely.get_coordinates(cands.geometry.to_numpy()),
                         half_m=limit_minutes * 60.0)  # fmt: skip
    kept = thin_candidates(cands, min_spacing_m=options.min_spacing_m, priority=priority)
    logger.info("%d candidates thinned to %d before routing", len(cands), len(kept))
    return np.asarray(cands.index.isin(kept.index), dtype=bool)


def _candidate_sites(
    layers: Layers,
    network: WalkNetwork,
    candidates: gpd.GeoDataFrame | None,
    opts: SitingOptions,
) -> gpd.GeoDataFrame:
    """The candidate points in the network CRS, indexed by id, exclusions applied."""
    buildings = getattr(layers, "buildings", None)
    if candidates is not None:
        cands = candidate_points(candidates, crs=network.crs)
    elif opts.candidate_source == "buildings" or (
        opts.candidate_source == "auto" and buildings is not None and len(buildings)
    ):
        if buildings is None or len(buildings) == 0:
            raise LayerError("buildings", ["no buildings layer to take candidate sites from"])
        frame = buildings.set_index(pd.Index(buildings["id"].astype(str), name="candidate"))
        cands = candidate_points(frame[[c for c in ("name", "geometry") if c in frame]],
                                 crs=network.crs)  # fmt: skip
    else:
        cands = candidates_along_streets(network, spacing_m=opts.spacing_m)
    cands = cands.set_axis(pd.Index(cands.index.astype(str), name="candidate"))
    if not cands.index.is_unique:
        dup = cands.index[cands.index.duplicated()].unique()[:5].tolist()
        raise LayerError("candidates", [f"candidate ids must be unique; duplicated: {dup}"])
    keep, reasons = _allowed(cands, layers, opts)
    logger.info("candidates: %d of %d kept (%s)", keep.sum(), len(keep), "; ".join(reasons))
    if not keep.any():
        raise InfeasibleError(
            f"no candidate site left: all {len(keep)} were excluded ({'; '.join(reasons)})"
        )
    return cands[keep]


def _box_sums(xy: FloatArray, value: FloatArray, at: FloatArray, *, half_m: float) -> FloatArray:
    """Sum of ``value`` at points ``xy`` within the square of half-side ``half_m`` around each
    point of ``at`` (to a raster cell of ``half_m / 8``), by 2-D prefix sums."""
    if len(xy) == 0:
        return np.zeros(len(at))
    cell = max(half_m / 8.0, 1.0)
    origin = np.minimum(xy.min(axis=0), at.min(axis=0))
    ij = np.floor((xy - origin) / cell).astype(np.int64)
    c = np.floor((at - origin) / cell).astype(np.int64)
    shape = np.maximum(ij.max(axis=0), c.max(axis=0)) + 1
    raster = np.zeros((int(shape[0]) + 1, int(shape[1]) + 1))
    np.add.at(raster, (ij[:, 0] + 1, ij[:, 1] + 1), value)
    total = raster.cumsum(axis=0).cumsum(axis=1)
    lo = np.clip(c - 8, 0, shape - 1)
    hi = np.clip(c + 8, 0, shape - 1) + 1
    out: FloatArray = (
        total[hi[:, 0], hi[:, 1]] - total[lo[:, 0], hi[:, 1]]
        - total[hi[:, 0], lo[:, 1]] + total[lo[:, 0], lo[:, 1]]
    )  # fmt: skip
    return out


def _allowed(
    cands: gpd.GeoDataFrame, layers: Layers, opts: SitingOptions
) -> tuple[BoolArray, list[str]]:
    """Candidates clear of heritage (+ buffer) and, on request, of conservation areas."""
    keep = np.ones(len(cands), dtype=bool)
    pts = cands.geometry.to_numpy()
    reasons = []
    heritage = getattr(layers, "heritage", None)
    if heritage is not None and len(heritage):
        zones = heritage.to_crs(cands.crs).geometry.to_numpy()
        hit, _ = shapely.STRtree(zones).query(
            pts, predicate="dwithin", distance=opts.heritage_buffer_m
        )
        keep[hit] = False
        reasons.append(f"{len(np.unique(hit))} within {opts.heritage_buffer_m:g} m of heritage")
    conservation = getattr(layers, "conservation", None)
    if opts.exclude_conservation and conservation is not None and len(conservation):
        areas = conservation.to_crs(cands.crs).geometry.to_numpy()
        hit, _ = shapely.STRtree(areas).query(pts, predicate="within")
        keep[hit] = False
        reasons.append(f"{len(np.unique(hit))} inside a conservation area")
    return keep, reasons


def _on_private_way(network: WalkNetwork, snapped: pd.DataFrame) -> BoolArray:
    """Candidates whose nearest way is private (``access`` = private/no)."""
    edges = network.edges
    if "access" not in edges.columns:
        return np.zeros(len(snapped), dtype=bool)
    private = edges["access"].astype(str).str.lower().isin(PRIVATE_ACCESS).to_numpy()
    edge = snapped["edge"].to_numpy()
    ok = snapped["snapped"].to_numpy(dtype=bool)
    out: BoolArray = np.zeros(len(snapped), dtype=bool)
    out[ok] = private[edge[ok].astype(np.int64)]
    return out


def _capacities(cands: gpd.GeoDataFrame, opts: SitingOptions) -> FloatArray:
    """One capacity per candidate: the column's, else the option's, else no limit."""
    if opts.capacity_column is None:
        value = np.inf if opts.capacity is None else float(opts.capacity)
        return np.full(len(cands), value)
    name = opts.capacity_column
    if name not in cands.columns:
        raise LayerError(
            "candidates",
            [f"no column {name!r} for capacity_column; columns: {', '.join(map(str, cands))}"],
        )
    values: FloatArray = pd.to_numeric(cands[name], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        ids = ", ".join(map(str, cands.index[bad][:5]))
        raise LayerError(
            "candidates",
            [f"{int(bad.sum())} capacity value(s) in {name!r} are not numbers > 0: ids {ids}"],
        )
    return values


def _thinned(problem: SitingProblem, opts: SitingOptions) -> SitingProblem:
    """Keep candidates at least ``min_spacing_m`` apart, best single gain first."""
    if opts.min_spacing_m <= 0 or len(problem.candidates) < 2:
        return problem
    by_cand = sparse.csr_array(problem.minutes.T)
    weights = problem.weights
    owner = np.repeat(np.arange(by_cand.shape[0]), np.diff(by_cand.indptr))
    rows = by_cand.indices
    before = np.minimum(problem.existing[rows], problem.cap_minutes)
    if opts.objective == "covering":
        gain = np.where((problem.existing[rows] > problem.walk_minutes)
                        & (by_cand.data <= problem.walk_minutes), weights[rows], 0.0)  # fmt: skip
    else:
        gain = np.maximum(before - by_cand.data, 0.0) * weights[rows]
    priority = np.bincount(owner, weights=gain, minlength=by_cand.shape[0]).astype(float)
    kept = thin_candidates(problem.candidates, min_spacing_m=opts.min_spacing_m, priority=priority)
    cols = np.sort(problem.candidates.index.get_indexer(kept.index))
    return dataclasses.replace(
        problem,
        candidates=problem.candidates.iloc[cols],
        minutes=sparse.csr_array(problem.minutes[:, cols]),
        capacity=problem.capacity[cols],
        facility_rows=problem.facility_rows[cols],
    )
