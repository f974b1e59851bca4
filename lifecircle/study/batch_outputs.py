"""The city outputs of a batch: GeoPackage, ranking table, overview map, JUnit, run log.

Written into the batch's output folder, each atomically (a temporary file renamed into
place), deterministic for the same results (no timings, no timestamps, no paths) except
the run log ``batch-run.json``, which records the CPU and wall seconds and the peak
memory of every district's task and the one-off city network step:

============================  ===========================================================
``city.gpkg``                 layers ``districts`` (figures per district) and ``grids``
                              (every grid's value per target, with its district)
``ranking.xlsx/.csv/.md``     one row per district, best first: targets met, residents,
                              each target's worst grid; failed districts last
``city-map-<lang>.html``      districts coloured by how many targets they meet, each
                              linking to its report (``reports/``) when reports were asked
``batch-run.json``            the run log
============================  ===========================================================
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from lifecircle.atomic_files import atomic_path, write_text_atomic
from lifecircle.study.outputs import describe_target, junit_text, markdown_escape
from lifecircle.tables import write_csv, write_xlsx

if TYPE_CHECKING:
    from lifecircle.study.batch_run import BatchRun

__all__ = [
    "batch_frames",
    "batch_to_junit",
    "ranking_table",
    "ranking_to_markdown",
    "write_batch_outputs",
]

_LABELS = {
    "en": {
        "rank": "Rank", "id": "District id", "name": "District", "met": "Targets met",
        "residents": "Residents", "status": "Status", "message": "Problem",
        "ok": "all targets met", "missed": "targets missed", "error": "failed",
        "worst": "{target}: worst grid (%)", "title": "lifecircle batch: {study}",
        "verdict": "{ok} of {n} districts meet every target; {err} failed.",
        "synthetic": "Synthetic city: fictional, not a real place.",
    },
    "zh": {
        "rank": "排名", "id": "街镇代码", "name": "街镇", "met": "达标目标数",
        "residents": "常住人口", "status": "状态", "message": "问题",
        "ok": "全部达标", "missed": "有目标未达标", "error": "计算失败",
        "worst": "{target}：最差网格（%）", "title": "lifecircle 批量检查：{study}",
        "verdict": "{n} 个街镇中 {ok} 个全部达标；{err} 个计算失败。",
        "synthetic": "合成城市：虚构数据，并非真实地点。",
    },
}  # fmt: skip


def _value(x: object) -> float:
    return float("nan") if x is None else float(x)  # type: ignore[arg-type]  # JSON numbers


def batch_frames(run: BatchRun) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The districts and the grids of a batch with their figures (EPSG:4326).

    ``districts``: ``id``, ``name``, ``status``, ``message``, ``targets_met``,
    ``targets_total``, ``residents`` (whole), ``lattice`` and, per target, its worst
    grid's value (``T1``...) and ``T1_passed``... ``grids``: ``district`` and the grid
    columns with each target's value (NaN: nothing to measure).
    """
    target_ids = [t.id for t in run.study.targets]
    rows, grid_frames = [], []
    for job in run.inputs.jobs:
        result = run.results[job.id]
        grids = job.layers.grids
        roots = grids["parent_id"].isna() if "parent_id" in grids else np.ones(len(grids), bool)
        population = pd.to_numeric(grids.loc[roots, "population"], errors="coerce").sum()
        row: dict[str, Any] = {
            "id": job.id, "name": job.name, "status": result["status"],
            "message": result.get("message", ""), "lattice": job.lattice,
            "residents": round(float(population)), "targets_total": len(target_ids),
            "geometry": job.polygon,
        }  # fmt: skip
        by_id = {t["id"]: t for t in result.get("targets", [])}
        row["targets_met"] = sum(bool(t["passed"]) for t in by_id.values())
        for tid in target_ids:
            outcome = by_id.get(tid)
            row[tid] = _value(outcome["achieved"]) if outcome else float("nan")
            row[f"{tid}_passed"] = bool(outcome["passed"]) if outcome else False
        rows.append(row)
        frame = grids.drop(columns=[c for c in target_ids if c in grids.columns]).copy()
        frame.insert(0, "district", job.id)
        values = pd.DataFrame(result.get("grids", {"id": []}))
        for tid in target_ids:
            column = values[tid] if tid in values else pd.Series(dtype=float)
            lookup = dict(zip(values.get("id", []), column, strict=False))
            frame[tid] = [_value(lookup.get(str(i))) for i in frame["id"]]
        grid_frames.append(frame)
    districts = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    grids_all = gpd.GeoDataFrame(pd.concat(grid_frames, ignore_index=True), crs=4326)
    return districts, grids_all


def _order(districts: pd.DataFrame) -> pd.DataFrame:
    """Best first: computed before failed, more targets met, then a higher mean of the
    targets' worst grids, then id."""
    target_cols = [c for c in districts.columns if re.fullmatch(r"T\d+", str(c))]
    mean = districts[target_cols].mean(axis=1) if target_cols else 0.0
    key = districts.assign(_err=districts["status"] != "ok", _mean=mean)
    return key.sort_values(
        ["_err", "targets_met", "_mean", "id"], ascending=[True, False, False, True],
        kind="stable", na_position="last",
    ).drop(columns=["_err", "_mean"])  # fmt: skip


def ranking_table(run: BatchRun, *, lang: str = "zh") -> pd.DataFrame:
    """One row per district, best first (see :func:`_order`), headers in ``lang``."""
    lab = _LABELS[lang]
    districts = _order(pd.DataFrame(batch_frames(run)[0].drop(columns="geometry")))
    ok = districts["status"] == "ok"
    rank = pd.Series(pd.NA, index=districts.index, dtype="Int64")
    rank[ok] = np.arange(1, int(ok.sum()) + 1)
    table = pd.DataFrame(
        {
            lab["rank"]: rank,
            lab["id"]: districts["id"],
            lab["name"]: districts["name"],
            lab["met"]: [f"{m} / {n}" for m, n in zip(districts["targets_met"],
                                                      districts["targets_total"], strict=True)],
            lab["residents"]: districts["residents"].astype("int64"),
        }
    )  # fmt: skip
    for target in run.study.targets:
        header = lab["worst"].format(target=f"{target.id} {describe_target(target, lang)}")
        table[header] = (districts[target.id] * 100).round(1)
    status = np.where(
        ~ok, lab["error"], np.where(districts["targets_met"] == districts["targets_total"],
                                    lab["ok"], lab["missed"])
    )  # fmt: skip
    table[lab["status"]] = status
    table[lab["message"]] = districts["message"].fillna("")
    return table.reset_index(drop=True)


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def ranking_to_markdown(run: BatchRun, *, lang: str = "zh") -> str:
    """The ranking as Markdown (a CI job summary), every user string escaped."""
    lab = _LABELS[lang]
    table = ranking_table(run, lang=lang)
    n, err = len(run.results), len(run.failed)
    ok = sum(
        r["status"] == "ok" and all(t["passed"] for t in r["targets"]) for r in run.results.values()
    )
    lines = [f"## {markdown_escape(lab['title'].format(study=run.study.name))}", "",
             lab["verdict"].format(ok=ok, n=n, err=err)]  # fmt: skip
    if run.study.synthetic:
        lines += ["", f"_{lab['synthetic']}_"]
    lines += ["", "| " + " | ".join(markdown_escape(str(c)) for c in table.columns) + " |"]
    lines.append("|" + "---|" * len(table.columns))
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(markdown_escape(_cell(v)) for v in row) + " |")
    return "\n".join(lines) + "\n"


def batch_to_junit(run: BatchRun, *, lang: str = "en") -> str:
    """JUnit XML: one ``<testsuite>`` per district, one ``<testcase>`` per target.

    A missed target is a ``<failure>`` naming its worst grids; a district that could not
    be computed is one ``<error>`` test case with its message.
    """
    root = ET.Element("testsuites", name=f"lifecircle batch: {run.study.name}")
    targets = {t.id: t for t in run.study.targets}
    for ident, result in run.results.items():
        suite = ET.SubElement(root, "testsuite", name=f"{ident} {result['name']}".strip())
        classname = f"lifecircle.{ident}"
        if result["status"] != "ok":
            case = ET.SubElement(suite, "testcase", classname=classname, name="district")
            ET.SubElement(case, "error", message=str(result["message"]), type="DistrictFailed")
        for outcome in result.get("targets", []):
            target = targets[outcome["id"]]
            name = f"{target.id} {describe_target(target, lang)}"
            case = ET.SubElement(suite, "testcase", classname=classname, name=name)
            if not outcome["passed"]:
                worst = ", ".join(
                    f"{g} ({_cell(None if v is None else v * 100)}%)" for g, v in outcome["worst"]
                )
                message = (
                    f"{outcome['failed']} of {outcome['evaluated']} grids below "
                    f"{target.minimum:.1%}: {worst or 'no grid has a value'}"
                )
                ET.SubElement(case, "failure", message=message, type="TargetMissed")
    return junit_text(root, ("failures", "errors"))


def _write_gpkg(path: Path, districts: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> Path:
    with atomic_path(path) as staged:
        districts.to_file(staged, layer="districts", driver="GPKG")
        grids.to_file(staged, layer="grids", driver="GPKG", mode="a")
    return path


def _run_log(run: BatchRun) -> str:
    keys = ("status", "cpu_s", "wall_s", "peak_rss_mb", "worker", "warnings", "message")
    log = {
        "network": {"cpu_s": run.network_cpu_s, "wall_s": run.network_wall_s},
        "computed": list(run.computed),
        "skipped": list(run.skipped),
        "districts": {k: {key: r.get(key) for key in keys} for k, r in run.results.items()},
    }
    return json.dumps(log, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n"


def write_batch_outputs(
    run: BatchRun, out_dir: Path, *, lang: str, reports: bool
) -> dict[str, Path]:
    """Write the city outputs (see the module documentation); return them by kind."""
    from lifecircle.maps.city_map import city_map
    from lifecircle.maps.save import save_map
    from lifecircle.study.batch_run import report_path

    districts, grids = batch_frames(run)
    files = {"gpkg": _write_gpkg(out_dir / "city.gpkg", districts, grids)}
    table = ranking_table(run, lang=lang)
    files["xlsx"] = write_xlsx({"ranking": table}, out_dir / "ranking.xlsx")
    files["csv"] = write_csv(table, out_dir / "ranking.csv")
    markdown = ranking_to_markdown(run, lang=lang)
    files["markdown"] = write_text_atomic(out_dir / "ranking.md", markdown)
    links = [
        report_path(Path("."), ident, lang).as_posix()
        if reports and run.results[ident]["status"] == "ok" else None
        for ident in districts["id"]
    ]  # fmt: skip
    shown = districts.assign(href=links)
    m = city_map(shown, n_targets=len(run.study.targets), lang=lang, title=run.study.name,
                 synthetic=run.study.synthetic)  # fmt: skip
    files["map"] = save_map(m, out_dir / f"city-map-{lang}.html")
    files["log"] = write_text_atomic(out_dir / "batch-run.json", _run_log(run))
    return files
