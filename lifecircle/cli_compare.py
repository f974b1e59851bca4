"""``lifecircle compare``: scenarios beside their study, before and after.

Kept out of ``cli.py`` (which registers it) so that the command line stays one file per
concern. Exit codes as every command (see :mod:`lifecircle._cli_support`): 0 every scenario
meets every target, 1 a scenario misses one, 2 bad input (the study or any scenario file:
every problem of every file at once, before the analysis).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lifecircle._cli_support import PAGE_SUFFIXES, progress_wanted, table_suffix

__all__ = ["compare"]


class Lang(StrEnum):
    """Output language."""

    zh = "zh"
    en = "en"


def compare(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="The study file (.toml), then one or more scenario files (.toml).",
            show_default=False,
        ),
    ],
    junit: Annotated[
        Path | None, typer.Option("--junit", help="JUnit XML: a scenario must meet every target.")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write JSON.")] = None,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Write Markdown.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write an Excel workbook.")] = None,
    map_path: Annotated[
        Path | None, typer.Option("--map", help="Write the difference map (HTML).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the committee report (HTML).")
    ] = None,
    lang: Annotated[
        Lang | None, typer.Option("--lang", help="Output language (default: the study's).")
    ] = None,
) -> None:
    """Compare scenarios with the study: targets, residents and grids before and after.

    Exit 0 when every scenario meets every target, 1 when one misses a target, 2 on bad
    input. With several scenarios --map writes one map each (diff.html, diff-2.html...).

    Example: lifecircle compare study.toml new-station.toml --markdown compare.md

    Example: lifecircle compare study.toml a.toml b.toml --junit plans.xml --map diff.html

    Example: lifecircle compare study.toml a.toml b.toml --report committee.html
    """
    from lifecircle.study import load_study, run_study
    from lifecircle.study.compare import compare as compare_runs
    from lifecircle.study.compare_map import write_comparison_report, write_difference_map
    from lifecircle.study.compare_outputs import comparison_to_text, write_comparison_outputs
    from lifecircle.study.output_paths import check_output_paths
    from lifecircle.study.scenario_files import load_scenarios

    outputs = {"junit": junit, "json": json_path, "markdown": markdown, "xlsx": xlsx}
    if len(files) < 2:
        raise typer.BadParameter("give the study file, then at least one scenario file")
    config = load_study(files[0])
    plans = load_scenarios(files[1:])
    if xlsx is not None:
        table_suffix(xlsx, "--xlsx", (".xlsx",))
    for flag, page in (("--map", map_path), ("--report", report)):
        if page is not None:
            table_suffix(page, flag, PAGE_SUFFIXES)
    flags = {"--junit": junit, "--json": json_path, "--markdown": markdown, "--xlsx": xlsx,
             "--map": map_path, "--report": report}  # fmt: skip
    check_output_paths(flags, config, inputs=files[1:])  # fail before the analysis
    comparison = compare_runs(run_study(config), plans, progress=progress_wanted())
    code = lang.value if lang is not None else config.lang
    typer.echo(comparison_to_text(comparison, lang=code), nl=False)
    write_comparison_outputs(comparison, outputs, lang=code)
    if map_path is not None:
        typer.echo(f"wrote {write_difference_map(comparison, map_path, lang=code)}")
    if report is not None:
        typer.echo(f"wrote {write_comparison_report(comparison, report, lang=code)}")
    if not comparison.passed:
        raise typer.Exit(1)
