"""The report's headline section: the study's targets, or a plainly stated default.

With targets (:class:`~lifecircle.maps.headline.TargetHeadline` rows) the section shows
one row per target with the figures ``lifecircle check`` prints: shares with one decimal,
"met"/"missed", and the grids below the target, worst first. Without targets it judges
each service against one default share and says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from lifecircle.maps.contracts import CoverageFigures
from lifecircle.maps.headline import TargetHeadline
from lifecircle.maps.labels import service_label, text, vocab_label
from lifecircle.maps.overlays import fmt_value, leaf_frame, percent

__all__ = [
    "leaf_grids",
    "profile_label",
    "scope_label",
    "service_cards",
    "share_1dp",
    "target_rows",
    "target_verdict",
]


def share_1dp(value: float) -> str:
    """A share as ``lifecircle check`` prints it: one decimal (``82.1%``), ``–`` if NaN."""
    return "–" if value is None or math.isnan(value) else f"{value * 100:.1f}%"


def profile_label(profile: object, lang: str) -> str:
    """Walking profile in plain words (``elderly`` -> 老年人步速 / elderly pace)."""
    key = f"profile_{profile}"
    try:
        return text(key, lang)
    except KeyError:
        return str(profile)


def scope_label(row: TargetHeadline, lang: str) -> str:
    """The target's scope in plain words, e.g. 居民区 / 商务区（仅居民类）."""
    if row.grid_ids:
        return text("r_scope_grids", lang, ids=", ".join(row.grid_ids))
    if row.level in (None, "all"):
        level = text("r_scope_all", lang)
    elif row.level == "leaf":
        level = text("r_scope_leaf", lang)
    else:
        level = vocab_label("grid_level", row.level, lang)
    if row.kind:
        kind = vocab_label("grid_kind", row.kind, lang)
        return text("r_scope_kind", lang, level=level, kind=kind)
    return level


def _worst(row: TargetHeadline, lang: str) -> list[str]:
    out = []
    for g in row.worst:
        name = f"{g.name} ({g.id})" if g.name and g.name != g.id else g.id
        out.append(f"{name} {share_1dp(g.value)}")
    if row.grids_failed > len(row.worst):
        out.append(text("r_more", lang, n=row.grids_failed - len(row.worst)))
    return out


def target_rows(rows: Sequence[TargetHeadline], lang: str) -> list[dict[str, Any]]:
    """Template rows: one per target, every word in ``lang``."""
    out = []
    for row in rows:
        counts = text("r_grids_met_of", lang, ok=row.grids_met, n=row.grids_evaluated)
        if row.grids_skipped:
            sep = "；" if lang == "zh" else "; "
            counts += sep + text("r_grids_skipped", lang, n=row.grids_skipped)
        out.append(
            {
                "id": row.id,
                "name": row.name(lang),
                "scope": scope_label(row, lang),
                "required": f"≥ {share_1dp(row.required)}",
                "achieved": share_1dp(row.achieved),
                "counts": counts,
                "met": row.met,
                "verdict": text("r_met" if row.met else "r_missed", lang),
                "worst": _worst(row, lang),
            }
        )
    return out


def target_verdict(rows: Sequence[TargetHeadline], lang: str) -> str:
    """One sentence: all targets met, or how many were missed."""
    missed = sum(not r.met for r in rows)
    if missed == 0:
        return text("r_targets_all_met", lang, n=len(rows))
    return text("r_targets_missed", lang, k=missed, n=len(rows))


def leaf_grids(grids: pd.DataFrame) -> pd.DataFrame:
    """The smallest grids, the same ones the map colours (see ``layers.leaf_frame``)."""
    return leaf_frame(grids)


def _heading(label: str) -> str:
    return label[:1].upper() + label[1:]


def _residents(value: float) -> str:
    return f"{round(value):,}"


def service_cards(
    result: CoverageFigures, services: Sequence[str], *, lang: str, target: float | None
) -> list[dict[str, Any]]:
    """Per service: residents within reach; with ``target``, grids meeting it and the worst.

    Parameters
    ----------
    target : float or None
        The default share each grid is judged against (no study targets); ``None``
        when the study's targets are shown instead, so no second verdict appears.
    """
    leaf = leaf_grids(result.grids)
    weight = pd.to_numeric(leaf.get("weight", pd.Series(0.0, leaf.index)), errors="coerce")
    weight = weight.fillna(0.0)
    out = []
    for service in services:
        share = pd.to_numeric(result.share(service).reindex(leaf.index), errors="coerce")
        counted = share.notna() & (weight > 0)
        total_w = float(weight[counted].sum())
        covered = float((share[counted] * weight[counted]).sum())
        card: dict[str, Any] = {
            "label": _heading(service_label(service, lang)),
            "residents": text(
                "r_residents_of", lang, covered=_residents(covered), total=_residents(total_w)
            ),
            "share": percent(covered / total_w) if total_w else "–",
            "judged": target is not None,
        }
        if target is not None:
            met = int((share[counted] >= target - 1e-9).sum())
            worst = share[counted].sort_values(kind="stable").head(3)
            card.update(
                grids_met=met,
                grids_total=int(counted.sum()),
                meets=met == int(counted.sum()),
                worst=[
                    {"name": fmt_value(leaf.loc[i, "name"], lang), "share": percent(v)}
                    for i, v in worst.items()
                ],
            )
        out.append(card)
    return out
