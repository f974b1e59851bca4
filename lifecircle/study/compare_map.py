"""The difference maps of a comparison: one self-contained HTML file per scenario.

The drawing is :func:`lifecircle.maps.difference_map.difference_map` (maps know nothing of
studies); this module hands it the comparison's tables. With several scenarios the first
map is written where asked and the others beside it, numbered (``diff.html``,
``diff-2.html``...). The committee report of a comparison is the study's report with the
section "方案比较 / scenario comparison".
"""

from __future__ import annotations

from pathlib import Path

import folium

from lifecircle.maps.difference_map import difference_map
from lifecircle.maps.save import save_map
from lifecircle.study.compare import Comparison, group_text

__all__ = ["comparison_map", "write_comparison_report", "write_difference_map"]


def comparison_map(comparison: Comparison, index: int = 0, *, lang: str = "zh") -> folium.Map:
    """The difference map of scenario ``index`` of the comparison (the study's first
    coverage target's service, time and pace)."""
    run = comparison.baseline
    return difference_map(
        comparison.grid_changes(index), comparison.changed_facilities(index),
        scenario=comparison.names[index],
        subtitle=f"{run.study.name} · {group_text(comparison.main_group, lang)}",
        lang=lang, synthetic=run.report.synthetic,
    )  # fmt: skip


def write_difference_map(comparison: Comparison, path: str | Path, *, lang: str = "zh") -> str:
    """Write the difference map of every scenario; return the written files' names."""
    path = Path(path)
    written = []
    for i in range(len(comparison.scenarios)):
        target = path if i == 0 else path.with_name(f"{path.stem}-{i + 1}{path.suffix}")
        written.append(str(save_map(comparison_map(comparison, i, lang=lang), target)))
    return ", ".join(written)


def write_comparison_report(comparison: Comparison, path: str | Path, *, lang: str = "zh") -> Path:
    """Write the committee report of the baseline (its first coverage target's service,
    time and pace) with the section "方案比较 / scenario comparison" (every scenario)."""
    from lifecircle.maps.report import write_report

    run = comparison.baseline
    first = next(t for t in run.study.targets if t.metric == "coverage")
    result = run.coverage[(first.profile, first.walk_minutes)]
    return write_report(
        run.layers, result, path, network=run.network, targets=comparison, lang=lang,
        service=first.service,
    )  # fmt: skip
