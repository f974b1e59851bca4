"""``lifecircle batch``: every district of a city, as independent tasks on Dask.

Kept out of ``cli.py`` (which registers it) so that the command line stays one file per
concern. Exit codes as every command (see :mod:`lifecircle._cli_support`): 0 every
district meets every target, 1 a target missed somewhere, 2 bad input — the batch's own,
before any district runs, or a district that could not be computed (reported with its id
and message after the others complete).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from lifecircle._cli_support import STATE, plain_message, progress_wanted

__all__ = ["batch"]

_DEMO_OUTPUT = Path("lifecircle-city")


def _quiet_dask() -> None:
    """Dask's own log lines only with -vv (distributed sets its loggers up on import)."""
    import distributed

    level = logging.DEBUG if STATE["verbose"] > 1 else logging.ERROR
    logging.getLogger(distributed.__name__).setLevel(level)


def batch(
    study: Annotated[
        Path | None,
        typer.Argument(help="The batch study (.toml with a [batch] table).", show_default=False),
    ] = None,
    demo_city: Annotated[
        bool, typer.Option("--demo-city", help="Write and run a SYNTHETIC city (offline).")
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="An existing Dask scheduler, e.g. tcp://10.0.0.5:8786."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Workers of the local cluster (default: cores)."),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", "-o", help="Folder of the city outputs."),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", help="Write JUnit XML: one test suite per district."),
    ] = None,
    reports: Annotated[
        bool | None,
        typer.Option("--reports/--no-reports", help="Write one committee report per district."),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="zh or en (default: the study's).")
    ] = None,
) -> None:
    """Run a study for every district of a city, each as an independent Dask task.

    Writes city.gpkg, ranking.xlsx/.csv/.md and city-map-<lang>.html into the output
    folder, and one result per district in districts/: a rerun skips districts whose
    inputs did not change (delete districts/ to recompute them all).

    Example: lifecircle batch --demo-city -o city-out

    Example: lifecircle batch city.toml --scheduler tcp://10.0.0.5:8786 --junit junit.xml
    """
    from lifecircle.atomic_files import write_text_atomic
    from lifecircle.study import load_study
    from lifecircle.study.batch import BatchOptions, run_batch
    from lifecircle.study.batch_outputs import batch_to_junit, ranking_table
    from lifecircle.study.output_paths import check_output_paths

    if demo_city == (study is not None):
        raise typer.BadParameter("give a study file or --demo-city (not both)", param_hint="STUDY")
    if lang is not None and lang not in ("zh", "en"):
        raise typer.BadParameter("expected zh or en", param_hint="--lang")
    if study is None:
        from lifecircle.study.demo_city import write_demo_city

        output_dir = output_dir or _DEMO_OUTPUT
        study = write_demo_city(output_dir / "demo-city")
        typer.echo(f"SYNTHETIC demo city (fictional, not a real place): wrote {study}")
    config = load_study(study)
    check_output_paths({"--junit": junit}, config)  # fail before the analysis, not after it
    _check_output_folder(output_dir)
    options = BatchOptions(
        output_dir=output_dir, scheduler=scheduler, workers=workers, reports=reports,
        lang=lang, progress=progress_wanted(),
    )  # fmt: skip
    _quiet_dask()
    run = run_batch(config, options=options)
    code = lang or config.lang
    typer.echo(f"{len(run.results)} districts: {len(run.computed)} computed, "
               f"{len(run.skipped)} unchanged since the last run (skipped), "
               f"{len(run.failed)} failed")  # fmt: skip
    table = ranking_table(run, lang=code)
    typer.echo(table.iloc[:10, [0, 1, 2, 3, -2]].to_string(index=False))
    written = list(run.files.values())
    if junit is not None:
        written.append(write_text_atomic(junit, batch_to_junit(run, lang=code)))
    for path in written:
        typer.echo(f"wrote {path}")
    if not STATE["quiet"]:
        for ident, result in run.results.items():
            for text in result.get("warnings", []):
                typer.echo(f"warning: district {ident}: {plain_message(str(text))}", err=True)
    for ident, message in run.failed.items():
        typer.echo(f"error: district {ident}: {message}", err=True)
    if run.failed:
        raise typer.Exit(2)
    if not run.passed:
        raise typer.Exit(1)


def _check_output_folder(folder: Path | None) -> None:
    """``-o`` must be a folder or a path where one can be made: not a file, nor under one."""
    from lifecircle.errors import ConfigError

    if folder is None:
        return
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                where = "is a file" if path == folder else f"lies under the file {path}"
                raise ConfigError(
                    f"--output-dir {folder}: {where}; give a folder for the city's outputs"
                )
            return
