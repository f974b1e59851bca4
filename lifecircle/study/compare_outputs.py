"""Render a :class:`~lifecircle.study.compare.Comparison`: terminal, Markdown, JSON, JUnit, XLSX.

Scenarios stand side by side, one column each after the baseline. Shares print with one
decimal like the check (``82.1%``), changes in percentage points, residents as whole
people. User text (study, scenario, target and grid names) is escaped for Markdown and made
XML-safe for JUnit; the workbook writer (:func:`lifecircle.tables.write_xlsx`) neutralises
formulas. Files are written atomically, like the check's.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd

from lifecircle.atomic_files import write_text_atomic
from lifecircle.study.compare import Comparison, group_text, whole
from lifecircle.study.outputs import (
    XML_ILLEGAL,
    describe_target,
    format_share,
    inert_line,
    markdown_escape,
    scope_text,
    text_width,
)
from lifecircle.tables import write_xlsx

__all__ = [
    "comparison_tables",
    "comparison_to_json",
    "comparison_to_junit",
    "comparison_to_markdown",
    "comparison_to_text",
    "write_comparison_outputs",
]

LABELS = {
    "en": {
        "title": "Scenario comparison",
        "target": "Target",
        "required": "Required",
        "baseline": "Baseline",
        "met": "met",
        "missed": "missed",
        "residents": "Residents within reach",
        "group": "Service, time, pace",
        "gain": "gain",
        "loss": "lose",
        "seats": "Seat reach and rest gaps",
        "verdict_ok": "{name}: meets all {n} targets.",
        "verdict_no": "{name}: misses {k} of {n} targets.",
        "changes": "{name}: {added} added, {moved} moved, {removed} removed; {how}.",
        "incremental": "coverage updated incrementally",
        "full": "recomputed in full",
        "synthetic": "Synthetic demo district — fictional data.",
    },
    "zh": {
        "title": "方案比较",
        "target": "目标",
        "required": "要求",
        "baseline": "现状",
        "met": "达标",
        "missed": "未达标",
        "residents": "可达居民",
        "group": "服务、时间、步速",
        "gain": "新增",
        "loss": "减少",
        "seats": "座椅可达与休息间距",
        "verdict_ok": "{name}：全部 {n} 项目标达标。",
        "verdict_no": "{name}：{n} 项目标中有 {k} 项未达标。",
        "changes": "{name}：新增 {added} 处，迁移 {moved} 处，撤除 {removed} 处；{how}。",
        "incremental": "覆盖率为增量更新",
        "full": "全部重新计算",
        "synthetic": "合成示范街道——虚构数据。",
    },
}


_COUNTS = ("within_before", "within_after", "gain", "loss", "total")


def _lab(lang: str) -> dict[str, str]:
    return LABELS["zh" if lang == "zh" else "en"]


def _points(change: float) -> str:
    if change is None or math.isnan(change):
        return ""
    return f" ({change * 100:+.1f})" if abs(change) >= 5e-4 else ""


def _cell(value: float, passed: bool, lang: str, change: float | None = None) -> str:
    lab = _lab(lang)
    delta = "" if change is None else _points(change)
    return f"{format_share(value)}{delta} {lab['met'] if passed else lab['missed']}"


def _target_grid(comparison: Comparison, lang: str) -> list[list[str]]:
    lab = _lab(lang)
    rows = []
    for o in comparison.baseline.report.outcomes:
        t = o.target
        row = [
            f"{t.id} {describe_target(t, lang)} ({scope_text(t, lang)})",
            f"≥ {format_share(t.minimum)}",
            _cell(o.achieved, o.passed, lang),
        ]
        table = comparison.targets
        for name in comparison.names:
            r = table[(table["scenario"] == name) & (table["target"] == t.id)].iloc[0]
            row.append(_cell(r["after"], bool(r["passed_after"]), lang, r["change"]))
        rows.append(row)
    header = [lab["target"], lab["required"], lab["baseline"], *comparison.names]
    return [header, *rows]


def _resident_grid(comparison: Comparison, lang: str) -> list[list[str]]:
    lab = _lab(lang)
    table = comparison.residents
    rows = []
    for group in dict.fromkeys(table["group"]) if len(table) else []:
        part = table[table["group"] == group]
        row = [group_text(group, lang), f"{whole(part['within_before'].iloc[0]):,}"]
        for name in comparison.names:
            r = part[part["scenario"] == name].iloc[0]
            row.append(
                f"{whole(r['within_after']):,} ({lab['gain']} {whole(r['gain']):,}, "
                f"{lab['loss']} {whole(r['loss']):,})"
            )
        rows.append(row)
    return [[lab["group"], lab["baseline"], *comparison.names], *rows]


def _aligned(rows: list[list[str]]) -> list[str]:
    rows = [[inert_line(c) for c in row] for row in rows]  # scenario names are user text
    widths = [max(text_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        cells = [c + " " * (w - text_width(c)) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def _summaries(comparison: Comparison, lang: str) -> list[str]:
    lab = _lab(lang)
    lines = []
    for sr in comparison.scenarios:
        changed = comparison.changed_facilities(comparison.scenarios.index(sr))
        counts = {k: int((changed["change"] == k).sum()) for k in ("added", "moved", "removed")}
        how = lab["incremental"] if sr.incremental else lab["full"]
        lines.append(lab["changes"].format(name=sr.scenario.name, how=how, **counts))
        report = sr.run.report
        missed = sum(not o.passed for o in report.outcomes)
        key = "verdict_ok" if missed == 0 else "verdict_no"
        lines.append(lab[key].format(name=sr.scenario.name, k=missed, n=len(report.outcomes)))
    return lines


def comparison_to_text(comparison: Comparison, *, lang: str = "en") -> str:
    """Aligned plain-text tables (targets, residents) and one verdict line per scenario."""
    lab = _lab(lang)
    colon = "：" if lang == "zh" else ": "
    lines = [f"{lab['title']}{colon}{comparison.baseline.study.name}", ""]
    lines += _aligned(_target_grid(comparison, lang))
    if len(comparison.residents):
        lines += ["", lab["residents"], *_aligned(_resident_grid(comparison, lang))]
    lines += ["", *_summaries(comparison, lang)]
    if comparison.baseline.report.synthetic:
        lines.append(lab["synthetic"])
    return "\n".join(lines) + "\n"


def _md_table(rows: list[list[str]]) -> list[str]:
    head, *body = rows
    lines = ["| " + " | ".join(markdown_escape(c) for c in head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(markdown_escape(c) for c in r) + " |" for r in body]


def comparison_to_markdown(comparison: Comparison, *, lang: str = "en") -> str:
    """A Markdown summary (e.g. a CI job summary): targets and residents side by side."""
    lab = _lab(lang)
    icon = "✅" if comparison.passed else "❌"
    title = markdown_escape(comparison.baseline.study.name)
    lines = [f"## {icon} {lab['title']}: {title}", ""]
    lines += [markdown_escape(s) + "  " for s in _summaries(comparison, lang)]
    if comparison.baseline.report.synthetic:
        lines += ["", f"_{lab['synthetic']}_"]
    lines += ["", *_md_table(_target_grid(comparison, lang))]
    if len(comparison.residents):
        lines += ["", f"### {lab['residents']}", "", *_md_table(_resident_grid(comparison, lang))]
    return "\n".join(lines) + "\n"


def _number(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]  # table cells are numbers here
    return None if math.isnan(number) else round(number, 6)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict("records"):
        out.append({
            k: _number(v) if isinstance(v, float) else (bool(v) if isinstance(v, bool) else v)
            for k, v in row.items() if k != "scenario"
        })  # fmt: skip
    return out


def comparison_to_json(comparison: Comparison, *, lang: str = "en") -> str:
    """The comparison as JSON: per scenario its targets, residents and changed grids."""
    from lifecircle import __version__

    scenarios = []
    for i, sr in enumerate(comparison.scenarios):
        name = sr.scenario.name
        grids = comparison.grids[comparison.grids["scenario"] == name]
        changed = comparison.changed_facilities(i).drop(columns="geometry")
        scenarios.append(
            {
                "name": name,
                "description": sr.scenario.description,
                "passed": sr.run.report.passed,
                "incremental": sr.incremental,
                "recomputed": list(sr.recomputed),
                "changes": _records(pd.DataFrame(changed)),
                "targets": _records(comparison.targets[comparison.targets["scenario"] == name]),
                "residents": [
                    {**r, **{k: whole(r[k]) for k in _COUNTS}}
                    for r in _records(
                        comparison.residents[comparison.residents["scenario"] == name]
                    )
                ],
                "grids_changed": _records(grids[grids["change"].abs() > 1e-12]),
            }
        )
    doc = {
        "study": comparison.baseline.study.name,
        "synthetic": comparison.baseline.report.synthetic,
        "passed": comparison.passed,
        "lang": lang,
        "lifecircle_version": __version__,
        "scenarios": scenarios,
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def comparison_to_junit(comparison: Comparison, *, lang: str = "en") -> str:
    """JUnit XML: one ``<testsuite>`` per scenario, one ``<testcase>`` per target; a target
    the scenario misses is a ``<failure>`` (CI guards a plan: "it must meet every target")."""
    root = ET.Element("testsuites", name=f"lifecircle compare: {comparison.baseline.study.name}")
    total = failures = 0
    for sr in comparison.scenarios:
        suite = ET.SubElement(root, "testsuite", name=sr.scenario.name)
        for o in sr.run.report.outcomes:
            t = o.target
            case = ET.SubElement(suite, "testcase", classname=f"lifecircle.scenario.{t.id}",
                                 name=f"{t.id} {describe_target(t, lang)}")  # fmt: skip
            if not o.passed:
                message = (
                    f"{t.id}: {format_share(o.achieved)} (required ≥ {format_share(t.minimum)})"
                )
                fail = ET.SubElement(case, "failure", message=message, type="TargetMissed")
                fail.text = f"{sr.scenario.name}: scope {t.scope}; {message}"
        n_fail = sum(c.find("failure") is not None for c in suite)
        suite.set("tests", str(len(suite)))
        suite.set("failures", str(n_fail))
        total, failures = total + len(suite), failures + n_fail
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
    return XML_ILLEGAL.sub("\ufffd", text)


def comparison_tables(comparison: Comparison, *, lang: str = "en") -> dict[str, pd.DataFrame]:
    """The comparison's sheets for a workbook: targets, residents (whole), grids, changes."""
    zh = lang == "zh"
    residents = comparison.residents.copy()
    for column in _COUNTS:
        residents[column] = [whole(v) for v in residents[column]]
    changes = []
    for i, name in enumerate(comparison.names):
        frame = pd.DataFrame(comparison.changed_facilities(i).drop(columns="geometry"))
        frame.insert(0, "scenario", name)
        changes.append(frame)
    names = (
        ("目标", "居民", "网格", "设施变化") if zh else ("targets", "residents", "grids", "changes")
    )
    return dict(zip(names, [
        comparison.targets, residents, comparison.grids,
        pd.concat(changes, ignore_index=True),
    ], strict=True))  # fmt: skip


def write_comparison_outputs(
    comparison: Comparison, outputs: dict[str, Path | None], *, lang: str
) -> None:
    """Write the requested files (``junit``, ``json``, ``markdown``, ``xlsx``) atomically."""
    renderers = {
        "junit": comparison_to_junit,
        "json": comparison_to_json,
        "markdown": comparison_to_markdown,
    }
    for kind, path in outputs.items():
        if path is None:
            continue
        if kind == "xlsx":
            write_xlsx(comparison_tables(comparison, lang=lang), path)
        else:
            write_text_atomic(path, renderers[kind](comparison, lang=lang))
