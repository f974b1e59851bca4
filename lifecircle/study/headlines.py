"""A study's check report as the committee report's headline rows.

:func:`headline_rows` turns each :class:`~lifecircle.study.targets.TargetOutcome` into a
plain :class:`~lifecircle.maps.headline.TargetHeadline` — the same target names,
required and achieved shares, verdict and worst grids as ``lifecircle check`` — and
registers itself with :func:`lifecircle.maps.headline.to_headlines`, so that
``write_report(..., targets=run)`` accepts a ``StudyRun`` or a ``CheckReport`` while the
maps package never imports the study package.
"""

from __future__ import annotations

from lifecircle.maps.headline import TargetHeadline, WorstGrid, to_headlines
from lifecircle.study.outputs import describe_target
from lifecircle.study.run import StudyRun
from lifecircle.study.targets import CheckReport, TargetOutcome

__all__ = ["headline_row", "headline_rows"]

#: How many failing grids a row names (``lifecircle check`` names three, then "+N").
WORST_SHOWN = 3


def headline_row(outcome: TargetOutcome) -> TargetHeadline:
    """Return the headline row of one evaluated target."""
    target = outcome.target
    failed = outcome.failed
    return TargetHeadline(
        id=target.id,
        name_zh=describe_target(target, "zh"),
        name_en=describe_target(target, "en"),
        metric=target.metric,
        level=None if target.grids else target.level,
        kind=target.kind,
        grid_ids=tuple(target.grids),
        required=float(target.minimum),
        achieved=float(outcome.achieved),
        met=outcome.passed,
        grids_met=len(outcome.evaluated) - len(failed),
        grids_evaluated=len(outcome.evaluated),
        grids_skipped=len(outcome.grids) - len(outcome.evaluated),
        worst=tuple(WorstGrid(g.id, g.name, g.value) for g in failed[:WORST_SHOWN]),
        grids_failed=len(failed),
    )


@to_headlines.register(CheckReport)
def headline_rows(report: CheckReport | StudyRun) -> tuple[TargetHeadline, ...]:
    """Return one headline row per target of a study's check, in study order.

    Parameters
    ----------
    report : CheckReport or StudyRun
        From :func:`lifecircle.study.run_study` (``run`` or ``run.report``).

    Returns
    -------
    tuple of TargetHeadline
        Pass it to ``write_report(..., targets=...)`` (which also accepts ``report``
        itself).
    """
    if isinstance(report, StudyRun):
        report = report.report
    return tuple(headline_row(o) for o in report.outcomes)


to_headlines.register(StudyRun, headline_rows)
