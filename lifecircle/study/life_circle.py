"""The 15-minute life circle in a study: ``[services] preset = ...`` and completeness targets.

A study names a planning standard in its ``[services]`` table::

    [services]
    preset = "gb50180_2018"     # lifecircle.coverage.presets.preset_names()
    met_share = 0.9             # a grid meets a category when this share of residents reach
                                # it (default 0.9, the share compute_coverage judges grids by)
    include_elderly = true      # the elderly layer's care homes... count for the elderly categories
    older_residents = "老年人口"  # optional grids column, for the equity section

and gates on ``metric = "completeness"`` targets: each grid's share of the catalogue's
categories it meets (:func:`lifecircle.coverage.compute_life_circle`). The other keys of
``[services]`` still define coverage services; with only these keys, the default services
apply. :mod:`lifecircle.study.run` computes the life circle once per study, whatever the
number of completeness targets.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lifecircle.study.config_problems import ProblemCollector, show_value

if TYPE_CHECKING:
    from lifecircle.coverage.measures.life_circle.life_circle import LifeCircleOptions
    from lifecircle.coverage.options import CoverageOptions

__all__ = ["LIFE_CIRCLE_KEYS", "LifeCircleSpec", "parse_life_circle"]

#: Keys of ``[services]`` that configure the life circle (not service names).
LIFE_CIRCLE_KEYS = ("preset", "met_share", "include_elderly", "older_residents")


@dataclass(frozen=True)
class LifeCircleSpec:
    """The study's life circle: a preset name and the options of the computation."""

    preset: str
    options: LifeCircleOptions

    @property
    def max_limit_m(self) -> float:
        """The longest walking limit of the preset's evaluated categories (metres)."""
        from lifecircle.coverage.presets import load_preset

        catalogue = load_preset(self.preset)
        limits = [catalogue.walk_limit_m(code) for code in catalogue.codes]
        return max([0.0, *(limit for limit in limits if limit is not None)])


def parse_life_circle(
    ck: ProblemCollector, services: Mapping[str, Any], coverage: CoverageOptions
) -> LifeCircleSpec | None:
    """The life-circle keys of a ``[services]`` table (``None`` without any).

    ``max_snap_m`` and ``spacing_m`` come from ``[analysis]`` (``coverage``), so the life
    circle places residents and snaps facilities as the coverage does.
    """
    from lifecircle.coverage.measures.life_circle.life_circle import LifeCircleOptions
    from lifecircle.coverage.presets import preset_names

    where = "services"
    if not any(k in services for k in LIFE_CIRCLE_KEYS):
        return None
    known = preset_names()
    preset = services.get("preset")
    if "preset" not in services:
        ck.add(
            f"{where}.preset", f"missing: the life-circle keys need a preset ({', '.join(known)})"
        )
    elif not isinstance(preset, str) or preset not in known:
        close = difflib.get_close_matches(str(preset), known, n=1, cutoff=0.6)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        ck.add(
            f"{where}.preset",
            f"unknown preset {show_value(preset)}; expected one of {', '.join(known)}{hint}",
        )
    met_share = ck.number_option(LifeCircleOptions, services, "met_share", where)
    include = ck.boolean(services, "include_elderly", where, True)
    older = ck.string(services, "older_residents", where)
    if not isinstance(preset, str) or preset not in known:
        return None
    options = LifeCircleOptions(
        met_share=coverage.target_share if met_share is None else met_share,
        include_elderly=include,
        older_residents=older,
        max_snap_m=coverage.max_snap_m,
        spacing_m=coverage.spacing_m,
    )
    return LifeCircleSpec(preset, options)
