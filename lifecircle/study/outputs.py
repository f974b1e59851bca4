"""Render a :class:`~lifecircle.study.targets.CheckReport` as text, JUnit XML, JSON or Markdown.

Every renderer is deterministic: targets in study order, grids worst first then by id,
shares printed with one decimal (``82.1%``) and stored in JSON rounded to six decimals, and
no timestamp unless one is passed explicitly. Files are written atomically
(:func:`write_text_atomic`: a temporary file in the same folder, then :func:`os.replace`), so
an interrupted run never leaves a partial report behind.
"""

from __future__ import annotations

import html
import json
import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from typing import Any

from lifecircle.atomic_files import write_text_atomic
from lifecircle.study.config import Target
from lifecircle.study.targets import CheckReport, TargetOutcome

__all__ = [
    "XML_ILLEGAL",
    "describe_target",
    "format_share",
    "inert_line",
    "junit_text",
    "markdown_escape",
    "report_to_json",
    "report_to_junit",
    "report_to_markdown",
    "report_to_text",
    "scope_text",
    "text_width",
    "write_text_atomic",
]

_LABELS = {
    "en": {
        "target": "Target",
        "scope": "Scope",
        "required": "Required",
        "achieved": "Achieved",
        "result": "Result",
        "worst": "Worst grids",
        "pass": "PASS",
        "fail": "FAIL",
        "all_met": "All {n} targets met.",
        "missed": "{k} of {n} targets missed.",
        "synthetic": "Synthetic demo district — fictional data.",
        "grids_met": "worst grid {worst}; {ok} of {n} grids meet it",
    },
    "zh": {
        "target": "目标",
        "scope": "范围",
        "required": "要求",
        "achieved": "实际",
        "result": "结果",
        "worst": "最差网格",
        "pass": "达标",
        "fail": "未达标",
        "all_met": "全部 {n} 项目标达标。",
        "missed": "{n} 项目标中有 {k} 项未达标。",
        "synthetic": "合成示范街道——虚构数据。",
        "grids_met": "最差网格 {worst}；{n} 个网格中 {ok} 个达标",
    },
}

_SCOPE_ZH = {
    "subdistrict": "街道",
    "area": "居民区/商务区",
    "microgrid": "微网格",
    "leaf": "末级网格",
    "all": "全部网格",
    "residential": "居民",
    "commercial": "商务",
}


def _labels(lang: str) -> dict[str, str]:
    return _LABELS["zh" if lang == "zh" else "en"]


def describe_target(target: Target, lang: str = "en") -> str:
    """Return the target's name, or a generated one-line description in ``lang``."""
    if target.name:
        return target.name
    zh = lang == "zh"
    if target.metric == "coverage":
        if zh:
            return (f"{target.walk_minutes:g}分钟步行可达{target.service}服务的居民比例"
                    f"（{target.profile}步速）")  # fmt: skip
        return (
            f"residents within {target.walk_minutes:g} min of {target.service} ({target.profile})"
        )
    if target.metric == "completeness":
        return _completeness_text(target.preset, zh)
    if target.metric == "seat_reach":
        street = target.measure == "street"
        if zh:
            return f"步行{target.reach_m:g}米内有座椅的{'街道长度' if street else '居民'}比例"
        what = "walkable street" if street else "residents"
        return f"{what} within a {target.reach_m:g} m walk of a seat"
    if zh:
        return f"为老路线最长无座椅路段≤{target.max_gap_m:g}米的居民比例"
    return f"residents whose elderly route has no rest gap over {target.max_gap_m:g} m"


def _completeness_text(preset: str | None, zh: bool) -> str:
    from lifecircle.coverage.presets import load_preset

    document = load_preset(preset).document if preset else "?"
    if zh:
        return f"生活圈完整度：达到{document}要求的设施类别比例"
    return f"life-circle completeness: share of the {document} service categories met"


def scope_text(target: Target, lang: str) -> str:
    """Return the target's scope in ``lang`` (``microgrid:residential`` → ``微网格：居民``)."""
    if lang != "zh" or target.grids:
        return target.scope
    return "：".join(_SCOPE_ZH.get(p, p) for p in target.scope.split(":"))


def format_share(value: float) -> str:
    """A share as a percentage with one decimal (``82.1%``), ``n/a`` for NaN."""
    return "n/a" if value is None or math.isnan(value) else f"{value * 100:.1f}%"


def _worst(outcome: TargetOutcome, n: int = 3) -> str:
    failed = outcome.failed
    text = ", ".join(f"{g.id} ({format_share(g.value)})" for g in failed[:n])
    return text + (f" +{len(failed) - n}" if len(failed) > n else "")


def _rows(report: CheckReport, lang: str) -> list[list[str]]:
    lab = _labels(lang)
    rows = []
    for o in report.outcomes:
        ok = len(o.evaluated) - len(o.failed)
        met = lab["grids_met"].format(worst=format_share(o.achieved), ok=ok, n=len(o.evaluated))
        rows.append([
            f"{o.target.id} {describe_target(o.target, lang)}",
            scope_text(o.target, lang),
            f"≥ {format_share(o.target.minimum)}",
            met,
            lab["pass"] if o.passed else lab["fail"],
            _worst(o) or "-",
        ])  # fmt: skip
    return rows


def text_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (East Asian wide characters count two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def report_to_text(report: CheckReport, *, lang: str = "en") -> str:
    """Return a plain-text table (aligned for CJK too) and a one-line verdict."""
    lab = _labels(lang)
    header = [lab[k] for k in ("target", "scope", "required", "achieved", "result", "worst")]
    rows = [header, *([inert_line(c) for c in row] for row in _rows(report, lang))]
    widths = [max(text_width(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for i, row in enumerate(rows):
        cells = [c + " " * (w - text_width(c)) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(_verdict(report, lang))
    if report.synthetic:
        lines.append(lab["synthetic"])
    return "\n".join(lines) + "\n"


def _verdict(report: CheckReport, lang: str) -> str:
    lab = _labels(lang)
    missed = sum(not o.passed for o in report.outcomes)
    n = len(report.outcomes)
    return lab["all_met"].format(n=n) if missed == 0 else lab["missed"].format(k=missed, n=n)


def report_to_markdown(report: CheckReport, *, lang: str = "en") -> str:
    """Return a Markdown summary (for CI job summaries): verdict, table, failing grids."""
    lab = _labels(lang)
    esc = markdown_escape
    icon = "✅" if report.passed else "❌"
    lines = [f"## {icon} lifecircle check: {esc(report.study)}", "", _verdict(report, lang)]
    if report.synthetic:
        lines += ["", f"_{lab['synthetic']}_"]
    header = [lab[k] for k in ("target", "scope", "required", "achieved", "result", "worst")]
    lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in _rows(report, lang):
        lines.append("| " + " | ".join(esc(c) for c in row) + " |")
    for o in report.outcomes:
        if not o.failed:
            continue
        lines += ["", f"### {o.target.id} {esc(describe_target(o.target, lang))}", ""]
        lines += [f"- {esc(g.id)} {esc(g.name)}: {format_share(g.value)}" for g in o.failed]
    return "\n".join(lines) + "\n"


#: Explicit bidirectional embeddings, overrides and isolates (U+202A-U+202E,
#: U+2066-U+2069): a name holding U+202E (right-to-left override) would display the rest
#: of its line reversed, e.g. a grid's "59.4%" as "%4.95".
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def inert_line(text: str) -> str:
    r"""User text as one line that cannot reorder what follows it: line breaks flattened,
    explicit bidi controls shown as U+FFFD (Arabic or Hebrew letters are kept).

    Examples
    --------
    >>> inert_line("A\u202e1%\nB")
    'A\ufffd1% B'
    """
    return _BIDI_CONTROLS.sub("\ufffd", " ".join(str(text).splitlines()))


def markdown_escape(text: str) -> str:
    """Make user text inert in Markdown: HTML escaped (job summaries render inline HTML),
    Markdown punctuation backslash-escaped (no image, link, emphasis or table cell break),
    line breaks flattened and bidi overrides neutralised (:func:`inert_line`)."""
    return _MD_SPECIAL.sub(r"\\\g<0>", html.escape(inert_line(text), quote=False))


#: Characters with a meaning in (GitHub-flavoured) Markdown; ``&``, ``<``, ``>`` are
#: HTML-escaped first, so the entities' ``&`` and ``;`` are left alone here.
_MD_SPECIAL = re.compile(r"[\\`*_\[\]()!#|~{}]")


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def _target_dict(o: TargetOutcome, lang: str) -> dict[str, Any]:
    t = o.target
    return {
        "id": t.id,
        "name": describe_target(t, lang),
        "metric": t.metric,
        "scope": t.scope,
        "service": t.service if t.metric == "coverage" else None,
        "profile": t.profile if t.metric == "coverage" else None,
        "walk_minutes": _number(t.walk_minutes) if t.metric == "coverage" else None,
        "reach_m": _number(t.reach_m) if t.metric == "seat_reach" else None,
        "measure": t.measure if t.metric == "seat_reach" else None,
        "max_gap_m": _number(t.max_gap_m) if t.metric == "rest_gap" else None,
        **({"preset": t.preset} if t.metric == "completeness" else {}),
        "minimum": _number(t.minimum),
        "achieved": _number(o.achieved),
        "passed": o.passed,
        "grids_evaluated": len(o.evaluated),
        "grids_failed": len(o.failed),
        "grids": [
            {"id": g.id, "name": g.name, "level": g.level, "value": _number(g.value),
             "status": "skipped" if g.passed is None else ("pass" if g.passed else "fail")}
            for g in o.grids
        ],
    }  # fmt: skip


def report_to_json(
    report: CheckReport, *, lang: str = "en", generated_at: str | None = None
) -> str:
    """Return the report as JSON (sorted keys, 6-decimal shares, no timestamp unless given)."""
    from lifecircle import __version__

    doc: dict[str, Any] = {
        "study": report.study,
        "synthetic": report.synthetic,
        "passed": report.passed,
        "lifecircle_version": __version__,
        "targets": [_target_dict(o, lang) for o in report.outcomes],
    }
    if generated_at is not None:
        doc["generated_at"] = generated_at
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def report_to_junit(report: CheckReport, *, lang: str = "en") -> str:
    """Return JUnit XML: one ``<testsuite>`` per target, one ``<testcase>`` per grid in scope.

    Grids below the minimum carry a ``<failure>``; grids without a value a ``<skipped>``;
    a target with no evaluable grid gets one failing ``scope`` test case.
    """
    root = ET.Element("testsuites", name=f"lifecircle check: {report.study}")
    for o in report.outcomes:
        t = o.target
        title = f"{t.id} {describe_target(t, lang)}"
        suite = ET.SubElement(root, "testsuite", name=title)
        classname = f"lifecircle.{t.id}"
        for g in o.grids:
            case = ET.SubElement(suite, "testcase", classname=classname,
                                 name=f"{g.id} {g.name}".strip())  # fmt: skip
            message = f"{g.id}: {format_share(g.value)} (required ≥ {format_share(t.minimum)})"
            if g.passed is None:
                ET.SubElement(case, "skipped", message=f"{g.id}: nothing to measure")
            elif not g.passed:
                fail = ET.SubElement(case, "failure", message=message, type="TargetMissed")
                fail.text = f"{title}\nscope {t.scope}; {message}"
        if not o.evaluated:
            case = ET.SubElement(suite, "testcase", classname=classname, name="scope")
            ET.SubElement(case, "failure", message="no grid in scope has a value",
                          type="TargetMissed")  # fmt: skip
    return junit_text(root, ("failures", "skipped"))


def junit_text(root: ET.Element, kinds: tuple[str, ...]) -> str:
    """Count every ``<testsuite>`` of ``root`` and the whole, and return the XML text.

    Parameters
    ----------
    root : xml.etree.ElementTree.Element
        The ``<testsuites>`` element, its suites and test cases complete.
    kinds : tuple of str
        The counts besides ``tests``, in attribute order: ``"failures"``, ``"errors"``,
        ``"skipped"`` (a test case counts once for each child of that kind).

    Returns
    -------
    str
        Indented XML with its declaration; characters XML 1.0 forbids become U+FFFD
        (ElementTree writes them; parsers reject them).
    """
    child = {"failures": "failure", "errors": "error", "skipped": "skipped"}
    totals = dict.fromkeys(("tests", *kinds), 0)
    for suite in root.iter("testsuite"):
        counts = {"tests": len(suite)}
        counts |= {k: sum(c.find(child[k]) is not None for c in suite) for k in kinds}
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
    return XML_ILLEGAL.sub("\ufffd", text)


#: Characters XML 1.0 forbids even escaped (control characters, e.g. a vertical tab
#: pasted from a spreadsheet into a grid name); replaced by U+FFFD in JUnit files.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
