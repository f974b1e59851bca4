"""Studies: a TOML file naming the data, network, analysis and targets; checks and reports.

``load_study`` parses and validates a study file; ``run_study`` computes what its targets
need and evaluates them into a :class:`CheckReport`; ``report_to_*`` render the report for
terminals and CI systems (JUnit XML, JSON, Markdown); a :class:`Scenario` edits a study
(``apply_scenario``) and :func:`compare` sets it beside its baseline; ``run_batch`` runs
a study for every district of a city on Dask (a study file with a ``[batch]`` table).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from lifecircle.study.batch import BatchOptions, BatchRun, run_batch
from lifecircle.study.compare import Comparison, compare
from lifecircle.study.compare_map import comparison_map
from lifecircle.study.config import (
    DEFAULT_SERVICES,
    LayerSource,
    NetworkSource,
    ProfileSpec,
    Study,
    Target,
    load_study,
    study_from_text,
)
from lifecircle.study.explore import Explorer, explore
from lifecircle.study.headlines import headline_rows  # registers report headlines
from lifecircle.study.outputs import (
    describe_target,
    report_to_json,
    report_to_junit,
    report_to_markdown,
    report_to_text,
    write_text_atomic,
)
from lifecircle.study.run import (
    StudyRun,
    compute_study_coverage,
    load_study_layers,
    load_study_network,
    run_study,
)
from lifecircle.study.scenario import Scenario
from lifecircle.study.scenario_apply import ScenarioRun, apply_scenario
from lifecircle.study.scenario_files import load_scenario, scenario_to_toml
from lifecircle.study.targets import (
    CheckReport,
    GridOutcome,
    TargetOutcome,
    evaluate_target,
    evaluate_targets,
    select_scope,
)

__all__ = [
    "DEFAULT_SERVICES",
    "BatchOptions",
    "BatchRun",
    "CheckReport",
    "Comparison",
    "Explorer",
    "GridOutcome",
    "LayerSource",
    "NetworkSource",
    "ProfileSpec",
    "Scenario",
    "ScenarioRun",
    "Study",
    "StudyRun",
    "Target",
    "TargetOutcome",
    "apply_scenario",
    "compare",
    "comparison_map",
    "compute_study_coverage",
    "demo_scenario_path",
    "demo_study_path",
    "describe_target",
    "evaluate_target",
    "evaluate_targets",
    "explore",
    "headline_rows",
    "load_scenario",
    "load_study",
    "load_study_layers",
    "load_study_network",
    "report_to_json",
    "report_to_junit",
    "report_to_markdown",
    "report_to_text",
    "run_batch",
    "run_study",
    "scenario_to_toml",
    "select_scope",
    "study_from_text",
    "write_text_atomic",
]


#: The example studies shipped for the synthetic demo district, by name.
DEMO_STUDIES = {"study": "demo_study.toml", "life_circle": "demo_life_circle.toml"}


def demo_study_path(name: str = "study") -> Path:
    """Return the path of an example study shipped for the synthetic demo district.

    Parameters
    ----------
    name : {"study", "life_circle"}
        ``"study"``: elderly-service coverage and seating; ``"life_circle"``: the whole
        15-minute life circle against the GB 50180-2018 preset.

    Examples
    --------
    >>> demo_study_path().name, demo_study_path("life_circle").name
    ('demo_study.toml', 'demo_life_circle.toml')
    """
    if name not in DEMO_STUDIES:
        raise ValueError(f"unknown demo study {name!r}; expected one of {sorted(DEMO_STUDIES)}")
    return Path(str(resources.files("lifecircle.data").joinpath(DEMO_STUDIES[name])))


def demo_scenario_path() -> Path:
    """Return the path of the example scenario for the demo study (a new life station, the
    care home closed; see ``lifecircle compare``).

    Examples
    --------
    >>> demo_scenario_path().name
    'demo_scenario.toml'
    """
    return Path(str(resources.files("lifecircle.data").joinpath("demo_scenario.toml")))
