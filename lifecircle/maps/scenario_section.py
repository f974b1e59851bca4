"""The committee report's "方案比较 / scenario comparison" section: scenarios side by side.

One table of the study's targets (the baseline, then one column per scenario: achieved, the
change in percentage points, met or missed) and one of the residents within reach (gained,
lost). The maps package knows nothing of studies: the section is drawn from plain
:class:`ScenarioColumn` rows, which :mod:`lifecircle.study.compare` registers a conversion to
(``functools.singledispatch``), so ``write_report(..., targets=comparison)`` works. Every
user string (scenario, target and group names) is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import singledispatch

from lifecircle.maps.headline import TargetHeadline

__all__ = ["ScenarioColumn", "scenario_section_html", "to_scenario_columns"]

_TEXT = {
    "en": {"title": "Scenario comparison", "target": "Target", "required": "Required",
           "baseline": "Baseline", "met": "met", "missed": "missed",
           "residents": "Residents within reach", "group": "Service, time, pace",
           "gain": "gain", "loss": "lose", "all": "meets every target",
           "some": "misses {k} of {n} targets",
           "note": "Each scenario is the study with its changes applied; the figures equal a "
                   "full check of the edited study."},
    "zh": {"title": "方案比较", "target": "目标", "required": "要求", "baseline": "现状",
           "met": "达标", "missed": "未达标", "residents": "可达居民",
           "group": "服务、时间、步速", "gain": "新增", "loss": "减少",
           "all": "全部目标达标", "some": "{n} 项目标中有 {k} 项未达标",
           "note": "每个方案即在现状基础上应用其变更；数字与对变更后研究的完整检查一致。"},
}  # fmt: skip


@dataclass(frozen=True)
class ScenarioColumn:
    """One scenario as the report shows it.

    ``targets`` maps a target id to (achieved, met); ``residents`` is one row per coverage
    group: (group label, residents within reach, gained, lost), whole residents.
    """

    name: str
    targets: dict[str, tuple[float, bool]]
    residents: tuple[tuple[str, int, int, int], ...] = ()
    residents_before: tuple[tuple[str, int], ...] = ()


@singledispatch
def to_scenario_columns(targets: object, lang: str = "zh") -> tuple[ScenarioColumn, ...]:
    """The scenarios that ``targets`` carries, labelled in ``lang`` (none for a plain
    study run or report)."""
    return ()


def _pct(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value * 100:.1f}%"


def _cell(value: float, met: bool, base: float | None, lang: str) -> str:
    t = _TEXT[lang]
    change = (
        ""
        if base is None or math.isnan(value - base) or abs(value - base) < 5e-4
        else (f" ({(value - base) * 100:+.1f})")
    )
    css = "ok" if met else "bad"
    return f'<td class="num {css}">{_pct(value)}{change} {t["met"] if met else t["missed"]}</td>'


def scenario_section_html(
    rows: Sequence[TargetHeadline], columns: Sequence[ScenarioColumn], *, lang: str
) -> str:
    """The section's HTML (empty without scenarios)."""
    if not columns:
        return ""
    t = _TEXT["zh" if lang == "zh" else "en"]
    lang = "zh" if lang == "zh" else "en"
    e = html.escape
    head = "".join(f"<th>{e(c.name)}</th>" for c in columns)
    parts = [f'<section id="scenarios">\n<h2>{e(t["title"])}</h2>',
             f'<p class="note">{e(t["note"])}</p>']  # fmt: skip
    for c in columns:
        missed = sum(not met for _, met in c.targets.values())
        verdict = t["all"] if missed == 0 else t["some"].format(k=missed, n=len(c.targets))
        parts.append(f"<p><b>{e(c.name)}</b>: {e(verdict)}</p>")
    parts.append('<div class="table-wrap"><table class="targets"><thead><tr>'
                 f'<th>{e(t["target"])}</th><th>{e(t["required"])}</th>'
                 f'<th>{e(t["baseline"])}</th>{head}</tr></thead><tbody>')  # fmt: skip
    for r in rows:
        name = r.name_zh if lang == "zh" else r.name_en
        cells = [f"<td>{e(f'{r.id} {name}')}</td>", f'<td class="num">≥ {_pct(r.required)}</td>',
                 _cell(r.achieved, r.met, None, lang)]  # fmt: skip
        for c in columns:
            achieved, met = c.targets.get(r.id, (math.nan, False))
            cells.append(_cell(achieved, met, r.achieved, lang))
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    before = dict(columns[0].residents_before)
    if before:
        parts.append(f'<h3 class="sub">{e(t["residents"])}</h3>')
        parts.append('<div class="table-wrap"><table><thead><tr>'
                     f'<th>{e(t["group"])}</th><th class="num">{e(t["baseline"])}</th>{head}'
                     "</tr></thead><tbody>")  # fmt: skip
        for group, count in before.items():
            cells = [f"<td>{e(group)}</td>", f'<td class="num">{count:,}</td>']
            for c in columns:
                row = next((r for r in c.residents if r[0] == group), None)
                text = (
                    "–"
                    if row is None
                    else (f"{row[1]:,} ({t['gain']} {row[2]:,}, {t['loss']} {row[3]:,})")
                )
                cells.append(f'<td class="num">{e(text)}</td>')
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table></div>")
    parts.append("</section>")
    return "\n".join(parts)
