"""Walking speed profiles: how fast a given group of residents walks, and what slows them down.

The 15-minute life circle is a *time* budget, so the walking speed decides how far it reaches.
Four named profiles are provided; all are documented choices, not measurements of Jing'an:

``adult`` — 1.3 m/s (≈ 1,170 m in 15 minutes)
    Fruin (1971, *Pedestrian Planning and Design*) reports a mean free-flow walking speed of
    about 1.35 m/s; the US Highway Capacity Manual (HCM 2010/6th ed., ch. 24) uses
    1.2–1.3 m/s as the average speed of pedestrians on walkways. We take 1.3 m/s.
``elderly`` — 0.9 m/s (≈ 810 m in 15 minutes)
    The HCM recommends 0.9 m/s (3.0 ft/s) where older pedestrians are a substantial share
    (> 20 %) of walkers; the US MUTCD (2009, §4E.06) uses 1.07 m/s (3.5 ft/s) for signal
    timing, and studies of people over 65 commonly find 0.8–1.0 m/s. Shanghai's
    *15-minute Community Life Circle Planning Guideline* (上海市15分钟社区生活圈规划导则,
    2016) equates a 15-minute walk with 800–1,000 m, i.e. 0.89–1.11 m/s; 0.9 m/s sits at the
    conservative end of that range, which is the one that matters for older residents.

``wheelchair`` — 1.39 m/s (5 km/h), steps impassable
    The US FHWA study *Characteristics of Emerging Road and Trail Users and Their Safety*
    (FHWA-HRT-04-103, Landis et al., October 2004, Table 12 "Speed") observed manual
    wheelchair users cruising on a flat shared-use path at a mean of 6 km/h and a 15th
    percentile of 5 km/h (6 users), against 7 and 5 km/h for pedestrians in the same study.
    We take the 15th percentile, 5 km/h = 1.39 m/s: on the flat, wheelchair users are not
    slower than walkers; what stops them is steps, so a flight of steps costs
    :data:`IMPASSABLE_S` (a day), i.e. it is never used.
``pram`` — 1.11 m/s (4 km/h)
    The same FHWA table: people pushing strollers had the lowest speeds of the study, mean
    5 km/h and 15th percentile 4 km/h (7 users); we take 4 km/h = 1.11 m/s. No figure for
    carrying a pram up steps was found, so none is charged (set one with
    :meth:`WalkProfile.with_penalties`).

Penalties are extra seconds charged once per traversal of a way (a whole flight of steps),
keyed by the edge's ``highway`` value (e.g. ``"steps"``) and spread over the way's edges by
their ``way_share`` column when the network has one; they add to the network's own
``penalty_s`` column (signalised crossings, gates...). The ``elderly`` profile charges 30 s
per flight of steps, an assumption (roughly the time to climb one storey at half the walking
speed) that users can override with :meth:`WalkProfile.with_penalties`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from lifecircle.frozen_mapping import FrozenMapping
from lifecircle.typing import FloatArray

__all__ = ["IMPASSABLE_S", "PROFILES", "WalkProfile", "resolve_profile"]

#: Penalty that makes a way impassable for a profile (steps for wheelchair users): a day, far
#: beyond any walk studied, while staying finite for the shortest-path arithmetic.
IMPASSABLE_S = 86_400.0


@dataclass(frozen=True)
class WalkProfile:
    """A walking speed plus per-edge time penalties.

    Parameters
    ----------
    name : str
        Short name shown in results (``"elderly"``, ``"adult"`` or your own).
    speed_m_s : float
        Walking speed in metres per second (> 0).
    penalties : mapping of str to float, optional
        Extra seconds per traversal of an edge whose ``highway`` equals the key.

    Examples
    --------
    >>> WalkProfile("slow", 0.8).metres_in(15)
    720.0
    """

    name: str
    speed_m_s: float
    penalties: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.speed_m_s, int | float) or not math.isfinite(self.speed_m_s):
            raise TypeError(f"speed_m_s must be a finite number, got {self.speed_m_s!r}")
        if self.speed_m_s <= 0:
            raise ValueError(f"speed_m_s must be > 0 m/s, got {self.speed_m_s}")
        bad = {k: v for k, v in self.penalties.items() if not (float(v) >= 0)}
        if bad:
            raise ValueError(f"penalties must be >= 0 seconds, got {bad}")
        object.__setattr__(self, "penalties", FrozenMapping(self.penalties))

    def metres_in(self, walk_minutes: float) -> float:
        """Return the distance walked on flat, penalty-free street in ``walk_minutes``."""
        return float(self.speed_m_s * walk_minutes * 60.0)

    def with_penalties(self, penalties: Mapping[str, float]) -> WalkProfile:
        """Return a copy with ``penalties`` replacing the current ones."""
        return replace(self, penalties=dict(penalties))

    def edge_seconds(self, edges: pd.DataFrame) -> FloatArray:
        """Return the time in seconds to walk each edge of ``edges``.

        ``length_m / speed_m_s + penalty_s + penalties[highway] * way_share`` (a missing
        ``way_share`` column counts as 1: each edge is a whole way).
        """
        seconds: FloatArray = edges["length_m"].to_numpy(dtype=float) / self.speed_m_s
        if "penalty_s" in edges.columns:
            seconds = seconds + edges["penalty_s"].fillna(0.0).to_numpy(dtype=float)
        if self.penalties and "highway" in edges.columns:
            # isin + map on the few matching rows: ~10x faster than mapping every row
            hit = edges["highway"].isin(list(self.penalties)).to_numpy(dtype=bool)
            if hit.any():
                seconds = seconds.copy()
                matched = edges["highway"].to_numpy()[hit]
                extra = np.array([self.penalties[h] for h in matched], dtype=float)
                if "way_share" in edges.columns:
                    extra *= edges["way_share"].fillna(1.0).to_numpy(dtype=float)[hit]
                seconds[hit] += extra
        return seconds


PROFILES: Mapping[str, WalkProfile] = MappingProxyType(
    {
        "adult": WalkProfile("adult", 1.3),
        "elderly": WalkProfile("elderly", 0.9, {"steps": 30.0}),
        "wheelchair": WalkProfile("wheelchair", round(5 / 3.6, 2), {"steps": IMPASSABLE_S}),
        "pram": WalkProfile("pram", round(4 / 3.6, 2)),
    }
)


def resolve_profile(
    profile: str | WalkProfile | None = None, *, speed_m_s: float | None = None
) -> WalkProfile:
    """Turn a profile name, a :class:`WalkProfile` or a bare speed into a profile.

    Parameters
    ----------
    profile : str or WalkProfile, optional
        A name in :data:`PROFILES` or a profile object; default ``"elderly"``.
    speed_m_s : float, optional
        Override the speed (keeps the profile's penalties; the name gets a suffix).

    Raises
    ------
    ValueError
        For an unknown profile name.
    """
    if profile is None:
        profile = "elderly"
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise ValueError(
                f"unknown walking profile {profile!r}; expected one of {sorted(PROFILES)} "
                "or a WalkProfile"
            )
        profile = PROFILES[profile]
    elif not isinstance(profile, WalkProfile):
        raise TypeError(f"profile must be a str or WalkProfile, got {type(profile).__name__}")
    if speed_m_s is not None and speed_m_s != profile.speed_m_s:
        profile = replace(profile, name=f"{profile.name}@{speed_m_s:g}m/s", speed_m_s=speed_m_s)
    return profile
