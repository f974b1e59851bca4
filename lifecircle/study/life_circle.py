"""The 15-minute life circle in a study: ``[services] preset = ...`` and completeness targets.

A study names a planning standard in its ``[services]`` table::

    [services]
    preset = "gb50180_2018"     # lifecircle.coverage.presets.preset_names()
    met_share = 0.9             # a grid meets a category when this share of residents reach it
    include_elderly = true      # the elderly layer's care homes... count for the elderly categories
    older_residents = "老年人口"  # optional grids column, for the equity section

and gates on ``metric = "completeness"`` targets: each grid's share of the catalogue's
categories it meets (:func:`lifecircle.coverage.compute_life_circle`). The other keys of
``[services]`` still define coverage services; with only these keys, the default services
apply. The computation runs once per study, whatever the number of completeness targets.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from lifecircle.study.config_problems import ProblemCollector, show_value

if TYPE_CHECKING:
    from lifecircle.coverage.measures.life_circle import LifeCircleOptions
    from lifecircle.coverage.measures.life_circle_result import LifeCircleResult
    from lifecircle.coverage.network.walk_network import WalkNetwork
    from lifecircle.geo.layers import Layers
    from lifecircle.study.config import Study, Target

__all__ = [
    "LIFE_CIRCLE_KEYS",
    "LifeCircleSpec",
    "compute_study_life_circle",
    "describe_completeness",
    "life_circle_tables",
    "parse_life_circle",
]

#: Keys of ``[services]`` that configure the life circle (not service names).
LIFE_CIRCLE_KEYS = ("preset", "met_share", "include_elderly", "older_residents")


@dataclass(frozen=True)
class LifeCircleSpec:
    """The study's life-circle settings: a preset name and the options of the computation."""

    preset: str
    met_share: float = 0.9
    include_elderly: bool = True
    older_residents: str | None = None

    @property
    def options(self) -> LifeCircleOptions:
        """The :class:`~lifecircle.coverage.measures.life_circle.LifeCircleOptions`."""
        from lifecircle.coverage.measures.life_circle import LifeCircleOptions

        return LifeCircleOptions(
            met_share=self.met_share,
            include_elderly=self.include_elderly,
            older_residents=self.older_residents,
        )


def parse_life_circle(ck: ProblemCollector, services: Mapping[str, Any]) -> LifeCircleSpec | None:
    """The life-circle keys of a ``[services]`` table (``None`` without ``preset``)."""
    from lifecircle.coverage.presets import preset_names

    where = "services"
    settings = {k: services[k] for k in LIFE_CIRCLE_KEYS if k in services}
    if not settings:
        return None
    preset = services.get("preset")
    known = preset_names()
    if "preset" not in services:
        ck.add(
            f"{where}.preset", f"missing: the life-circle keys need a preset ({', '.join(known)})"
        )
        return None
    if not isinstance(preset, str) or preset not in known:
        close = difflib.get_close_matches(str(preset), known, n=1, cutoff=0.6)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        ck.add(
            f"{where}.preset",
            f"unknown preset {show_value(preset)}; expected one of {', '.join(known)}{hint}",
        )
        return None
    met_share = ck.number(services, "met_share", where, default=0.9, share=True)
    include = ck.boolean(services, "include_elderly", where, True)
    older = ck.string(services, "older_residents", where)
    return LifeCircleSpec(preset, 0.9 if met_share is None else met_share, include, older)


def describe_completeness(target: Target, preset: str | None, lang: str) -> str:
    """A one-line description of a completeness target in ``lang``."""
    from lifecircle.coverage.presets import load_preset

    document = load_preset(preset).document if preset else "?"
    if lang == "zh":
        return f"生活圈完整度：达到{document}要求的设施类别比例"
    return f"life-circle completeness: share of the {document} categories met"


def compute_study_life_circle(
    study: Study, layers: Layers, network: WalkNetwork, spec: LifeCircleSpec
) -> LifeCircleResult:
    """Run :func:`~lifecircle.coverage.compute_life_circle` with the study's settings."""
    from dataclasses import replace

    from lifecircle.coverage.measures.life_circle import compute_life_circle

    options = spec.options
    if study.max_snap_m is not None:
        options = replace(options, max_snap_m=study.max_snap_m)
    if study.spacing_m is not None:
        options = replace(options, spacing_m=study.spacing_m)
    return compute_life_circle(layers, network, catalogue=spec.preset, options=options)


def life_circle_tables(
    study: Study,
    layers: Layers,
    network: WalkNetwork,
    targets: list[Target],
    spec: LifeCircleSpec | None,
    grid_table: Any,
) -> tuple[dict[str, pd.DataFrame], LifeCircleResult | None]:
    """The per-grid completeness of each completeness target (one computation for all)."""
    if not targets or spec is None:
        return {}, None
    result = compute_study_life_circle(study, layers, network, spec)
    values = result.grids["completeness"]
    return {t.id: grid_table(result.grids, values) for t in targets}, result
