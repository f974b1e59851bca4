"""The ``lifecircle`` command line.

This is the only module that configures logging. Exit codes (one path for every command,
see :mod:`lifecircle._cli_support`): 0 = success / all targets met, 1 = a target missed,
2 = bad input or usage, 3 = an internal error (a bug), 130 = interrupted.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO, TypeVar

import typer

from lifecircle import __version__, cli_batch, cli_compare, cli_suggest
from lifecircle._cli_support import (
    PAGE_SUFFIXES,
    STATE,
    CommandGroup,
    Lang,
    LangOpt,
    OutputOpt,
    StudyArg,
    describe_network,
    echo_demo_coverage,
    echo_demo_seats,
    fail_on_errors,
    network_pieces_table,
    pause_collector,
    plain_message,
    progress_wanted,
    steps,
    study_lang,
    table_suffix,
    write_report_tables,
)

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from lifecircle._cli_support import Steps
    from lifecircle.coverage import CoverageResult, LifeCircleResult, SeatSuggestions, WalkNetwork
    from lifecircle.geo import Layers
    from lifecircle.maps.options import MapOptions, ReportOptions
    from lifecircle.study import Study, StudyRun

#: The options of the ``map`` or ``report`` command's page.
PageOptions = TypeVar("PageOptions", "MapOptions", "ReportOptions")

app = typer.Typer(
    cls=CommandGroup,  # every command's errors go through one exit-code path
    name="lifecircle",
    help="Is your neighbourhood a real 15-minute community life circle?\n\n"
    "Example: lifecircle demo",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: paragraphs rewrapped, flags without metavars
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"lifecircle {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors."),
) -> None:
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    STATE["quiet"], STATE["verbose"] = quiet, verbose
    warnings.showwarning = _show_warning
    _SHOWN_WARNINGS.clear()


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print a warning as one ``warning:`` line on stderr (no source excerpt); none with -q.

    The same text is shown once per command, however many analysis passes raise it (e.g. one
    snapping warning per walking profile).
    """
    text = plain_message(str(message))
    if STATE["quiet"] or text in _SHOWN_WARNINGS:
        return
    _SHOWN_WARNINGS.add(text)
    typer.echo(f"warning: {text}", err=True)


#: Warning texts already shown by this command (see :func:`_show_warning`).
_SHOWN_WARNINGS: set[str] = set()


DemoOutOpt = Annotated[
    Path,
    typer.Option("--output-dir", "-o", help="Folder for the map, report and suggested seats."),
]


@app.command()
def demo(
    ctx: typer.Context,
    output_dir: DemoOutOpt = Path("lifecircle-output"),
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the map and report: zh or en.")
    ] = "zh",
    seats: Annotated[
        int, typer.Option("--seats", "-k", min=1, help="New seat sites to suggest.")
    ] = 5,
) -> None:
    """Run the whole pipeline on the embedded SYNTHETIC demo district.

    Loads and validates the demo layers, builds the walking network, computes 15-minute
    elderly-service coverage at the elderly and adult walking speeds, measures seat reach
    and rest gaps, suggests new seats, checks the demo study's targets, and writes an
    offline map and committee report.

    Example: lifecircle demo

    Example: lifecircle demo --lang en -o out/
    """
    import lifecircle as lc

    if lang not in ("zh", "en"):
        raise typer.BadParameter("expected zh or en", param_hint="--lang")
    pause_collector(ctx)
    layers = lc.load_demo_layers(facilities=False)  # the life circle has its own demo study
    typer.echo("lifecircle demo — SYNTHETIC district (fictional, not real streets)\n")
    summary = layers.summary()
    typer.echo(summary[["zh", "features", "details"]].to_string())
    network = lc.load_demo_network()
    typer.echo(f"\n{describe_network(network)}")
    result = echo_demo_coverage(layers, network)
    suggestions = echo_demo_seats(layers, network, k=seats)
    # the demo study reads the same embedded files: check it on the layers and network above
    study = lc.load_study(lc.demo_study_path())
    run = lc.run_study(study, progress=False, layers=layers, network=network)
    typer.echo("\nTargets of the demo study (lifecircle check):")
    typer.echo(lc.report_to_text(run.report, lang="en"), nl=False)
    output_dir.mkdir(parents=True, exist_ok=True)
    m = lc.coverage_map(layers, result, lang=lang, suggestions=suggestions.sites)
    written = [
        lc.save_map(m, output_dir / f"map-elderly-{lang}.html"),
        lc.write_report(
            layers, result, output_dir / f"report-{lang}.html", lang=lang,
            suggestions=suggestions.sites, network=network, targets=run,
        ),
    ]  # fmt: skip
    typer.echo("")
    for path in written:
        typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


# --------------------------------------------------------------------------- study commands


@app.command()
def check(
    study: StudyArg,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", help="Write JUnit XML: one test case per target and grid."),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.")
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", help="Write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)."),
    ] = None,
    xlsx: Annotated[
        Path | None,
        typer.Option("--xlsx", help="Write an Excel workbook: targets, and every grid's value."),
    ] = None,
    lang: LangOpt = None,
    timestamp: Annotated[
        bool, typer.Option("--timestamp", help="Add generated_at to the JSON.")
    ] = False,
) -> None:
    """Check a study's targets: exit 0 when all are met, 1 when one is missed, 2 on bad input.

    Prints one row per target (scope, required, achieved, result, worst grids).

    Example: lifecircle check study.toml

    Example: lifecircle check study.toml --junit reports/junit.xml --markdown reports/summary.md

    Example: lifecircle check study.toml --xlsx reports/targets.xlsx
    """
    from lifecircle.study import load_study, report_to_text, run_study
    from lifecircle.study.check_files import write_check_outputs
    from lifecircle.study.output_paths import check_output_paths

    outputs = {"junit": junit, "json": json_path, "markdown": markdown, "xlsx": xlsx}
    config = load_study(study)
    if xlsx is not None:
        table_suffix(xlsx, "--xlsx", (".xlsx",))
    flags = {"--junit": junit, "--json": json_path, "--markdown": markdown, "--xlsx": xlsx}
    check_output_paths(flags, config)  # fail before the analysis, not after it
    run = run_study(config, progress=progress_wanted())
    code = study_lang(lang, config)
    typer.echo(report_to_text(run.report, lang=code), nl=False)
    write_check_outputs(run.report, outputs, lang=code, timestamp=timestamp)
    if not run.report.passed:
        raise typer.Exit(1)


@app.command()
def validate(study: StudyArg) -> None:
    """Validate a study's configuration and layers (no network, no analysis).

    Also checks what needs no analysis: the basemap key, and that the demand lattice
    (``spacing_m`` over the grids) fits in memory.

    Example: lifecircle validate study.toml
    """
    from lifecircle.study import describe_target, load_study
    from lifecircle.study.config import resolve_tianditu_key
    from lifecircle.study.datum_review import check_study_datums
    from lifecircle.study.run import load_study_layers
    from lifecircle.study.targets import check_scopes

    config = load_study(study)
    resolve_tianditu_key(config, config.basemap)
    layers = load_study_layers(config)
    check_scopes(config.targets, layers.grids, label=config.label)
    check_study_datums(config, layers)  # visible warnings: wrong GCJ-02/BD-09 datum
    _check_demand_lattice(config, layers)
    typer.echo(f'{config.label}: OK — study "{config.name}", {len(config.targets)} target(s)')
    typer.echo(layers.summary().to_string())
    for target in config.targets:
        typer.echo(f"  {target.id} {describe_target(target, config.lang)} [{target.scope}] "
                   f">= {target.minimum:.1%}")  # fmt: skip


def _check_demand_lattice(config: Study, layers: Layers) -> None:
    """Lay out the residents' demand points as the analysis will (fails fast when too fine)."""
    from lifecircle.coverage.measures.demand import demand_from_layers
    from lifecircle.errors import ParameterError
    from lifecircle.geo.crs import utm_crs_for

    try:
        demand_from_layers(
            layers.grids, crs=utm_crs_for(layers.grids), buildings=layers.buildings,
            spacing_m=config.coverage.spacing_m,
        )  # fmt: skip
    except ParameterError as exc:
        raise ParameterError(f"{config.label}: analysis.spacing_m: {exc}") from None


@app.command()
def network(
    study: StudyArg,
    refresh: Annotated[bool, typer.Option("--refresh", help="Rebuild even when cached.")] = False,
) -> None:
    """Build the study's walking network (or refresh its cache) and summarise it.

    Example: lifecircle network study.toml --refresh
    """
    from lifecircle.study import load_study
    from lifecircle.study.run import load_study_network

    config = load_study(study)
    with steps(1) as progress:
        progress.next("building the walking network")
        walk = load_study_network(config, refresh=refresh)
    typer.echo(describe_network(walk))
    typer.echo(network_pieces_table(walk))


ServiceOpt = Annotated[
    str, typer.Option("--service", help="Which service colours the grids (see [services]).")
]


def _study_coverage(
    config: Study, progress: Steps, *, isochrones: bool = True
) -> tuple[Layers, WalkNetwork, CoverageResult]:
    """Load a study's layers and network, and compute coverage at its default settings."""
    from lifecircle.study.run import compute_study_coverage, load_study_layers, load_study_network

    progress.next("reading the layers")
    layers = load_study_layers(config)
    progress.next("walking network")
    walk = load_study_network(config)
    progress.next("walking coverage")
    result = compute_study_coverage(config, layers, walk, isochrones=isochrones, progress=False)
    return layers, walk, result


def _study_boundary(config: Study) -> BaseGeometry | None:
    """The study area for maps: ``[study] boundary`` (EPSG:4326), else None (the grids)."""
    if config.boundary is None:
        return None
    from dataclasses import replace

    from lifecircle.study.run import study_area

    study_only = replace(config, network=replace(config.network, bbox=None, boundary=None))
    return study_area(study_only)[0]  # names the key and file when the boundary is unusable


def _study_report_inputs(
    config: Study, progress: Steps
) -> tuple[Layers, WalkNetwork, CoverageResult, StudyRun | None]:
    """Layers, network, coverage at the study's defaults and the targets' run (or None).

    With targets, the report's headline is the same check as ``lifecircle check``; the
    layers and network of that run are reused for the map and the per-grid table.
    """
    if not config.targets:
        return (*_study_coverage(config, progress), None)
    from lifecircle.study.run import compute_study_coverage, run_study

    progress.next("layers, walking network and the targets")
    run = run_study(config, progress=False)
    progress.next("walking coverage")
    result = compute_study_coverage(
        config, run.layers, run.network, isochrones=True, progress=False
    )
    return run.layers, run.network, result, run


#: The command-line flag that sets each map or report option: a problem the options find
#: is reported under it (the study file's own values were checked when it was read).
_OPTION_FLAGS = {"basemap": "--basemap", "lang": "--lang", "service": "--service"}


def _load_for_output(
    study: Path,
    output: Path | None,
    default: Callable[[Study], str],
    kind: type[PageOptions],
    *,
    service: str,
    lang: Lang | None,
    basemap: str | None = None,
) -> tuple[Study, Path, PageOptions]:
    """Load the study; check ``--service``, the map or report options (basemap and its
    key, study boundary) and the output path (default: ``default(study)`` in the outputs
    folder) before any analysis.
    """
    from lifecircle.errors import ConfigError, OptionError
    from lifecircle.study import load_study
    from lifecircle.study.config import resolve_tianditu_key
    from lifecircle.study.output_paths import check_output_paths

    config = load_study(study)
    if service not in config.services:
        raise ConfigError(
            f"--service {service!r} is not a service of {config.label}; "
            f"expected one of {', '.join(sorted(config.services))}"
        )
    chosen = basemap if basemap is not None else config.basemap
    chosen = None if chosen == "none" else chosen
    try:
        options = kind(
            service=service, lang=study_lang(lang, config), basemap=chosen,
            tianditu_key=resolve_tianditu_key(config, chosen),  # its problems: study words
            extent=_study_boundary(config),
        )  # fmt: skip
    except OptionError as exc:
        if exc.option not in _OPTION_FLAGS:
            raise
        flag = _OPTION_FLAGS[exc.option]
        raise ConfigError(f"{flag} {exc.value!r}: expected {exc.expected}") from None
    path = output or config.output_dir / default(config)
    check_output_paths({"--output": path}, config)
    if output is not None:
        table_suffix(output, "--output", PAGE_SUFFIXES)
    return config, path, options


@app.command("map")
def map_(
    study: StudyArg,
    output: OutputOpt = None,
    service: ServiceOpt = "elderly",
    lang: LangOpt = None,
    basemap: Annotated[
        str | None, typer.Option("--basemap", help="none | osm | tianditu | amap.")
    ] = None,
) -> None:
    """Draw the study's walking coverage on a self-contained, offline HTML map.

    The Tianditu basemap needs a key: the environment variable LIFECIRCLE_TIANDITU_KEY
    or tianditu_key under [outputs] in the study file.

    Example: lifecircle map study.toml --lang en -o coverage.html
    """
    from lifecircle.maps.coverage_map import coverage_map
    from lifecircle.maps.options import MapOptions
    from lifecircle.maps.save import save_map

    config, path, options = _load_for_output(
        study, output, lambda _: f"map-{service}.html", MapOptions,
        service=service, lang=lang, basemap=basemap,
    )  # fmt: skip
    with steps(4 + (config.life_circle is not None)) as progress:
        layers, walk, result = _study_coverage(config, progress)
        circle = _study_life_circle(config, layers, walk, None, progress)
        progress.next("drawing the map")
        m = coverage_map(layers, result, network=walk, life_circle=circle, options=options)
        path = save_map(m, path)
    typer.echo(f"wrote {path}")


def _study_life_circle(
    config: Study, layers: Layers, walk: WalkNetwork, run: StudyRun | None, progress: Steps
) -> LifeCircleResult | None:
    """The study's life circle (``[services] preset``): the run's, else computed now."""
    if config.life_circle is None:
        return None
    if run is not None and run.life_circle is not None:
        return run.life_circle
    from lifecircle.study.run import compute_study_life_circle

    progress.next("the 15-minute life circle")
    return compute_study_life_circle(config, layers, walk)


SeatsOpt = Annotated[
    int, typer.Option("--seats", "-k", min=0, help="How many new seat sites to suggest (0: none).")
]


def _suggest(config: Study, layers: Layers, walk: WalkNetwork, k: int) -> SeatSuggestions:
    """Return the :class:`SeatSuggestions` for ``k`` new seat sites, snapping at the study's
    ``[analysis] max_snap_m`` (as its coverage and seat targets do)."""
    from lifecircle.coverage.measures.seat_suggestions import suggest_seats

    return suggest_seats(layers, walk, k=k, max_snap_m=config.coverage.max_snap_m)


@app.command()
def report(
    study: StudyArg,
    output: OutputOpt = None,
    service: ServiceOpt = "elderly",
    lang: LangOpt = None,
    seats: SeatsOpt = 0,
) -> None:
    """Write the committee report: one offline HTML page that prints to A4.

    Beside it, an Excel workbook of the same name (.xlsx) holds the per-grid coverage and
    the suggested seats.

    Example: lifecircle report study.toml --lang zh --seats 10 -o report.html
    """
    from lifecircle.maps.options import ReportOptions
    from lifecircle.maps.report import report_html
    from lifecircle.maps.save import write_atomic
    from lifecircle.study.output_paths import check_output_paths

    config, path, options = _load_for_output(
        study,
        output,
        lambda c: f"report-{study_lang(lang, c)}.html",
        ReportOptions,
        service=service,
        lang=lang,
    )  # a missing Tianditu key fails now, not after the analysis
    workbook = path.with_suffix(".xlsx")
    check_output_paths({"--output": path, "--output (its workbook)": workbook}, config)
    with steps((2 if config.targets else 3) + 2 + (config.life_circle is not None)) as progress:
        layers, walk, result, run = _study_report_inputs(config, progress)
        circle = _study_life_circle(config, layers, walk, run, progress)
        progress.next("suggesting seats")
        suggestions = _suggest(config, layers, walk, seats) if seats else None
        progress.next("writing the report")
        page = report_html(
            layers, result, network=walk, targets=run, life_circle=circle, options=options,
            suggestions=suggestions.sites if suggestions else None,
        )  # fmt: skip
        path = write_atomic(path, lambda fh: fh.write(page.encode("utf-8")))
        write_report_tables(workbook, result, suggestions, lang=options.lang)
    typer.echo(f"wrote {path}")
    typer.echo(f"wrote {workbook}")


app.command()(cli_suggest.suggest)  # lifecircle suggest: new seats or facilities


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the template.")] = Path("study.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    demo_data: Annotated[
        bool, typer.Option("--demo-data", help="Also copy the synthetic demo layers into data/.")
    ] = False,
) -> None:
    """Write a commented study template (refuses to overwrite without --force).

    Example: lifecircle init study.toml --demo-data
    """
    from lifecircle.study.template import write_study_template

    written = write_study_template(path, force=force, demo_data=demo_data)
    typer.echo(f"wrote {written}; next: lifecircle validate {written}")


app.command()(cli_compare.compare)  # lifecircle compare: scenarios beside the study
app.command()(cli_batch.batch)  # lifecircle batch: every district of a city on Dask


def main() -> None:
    """Entry point: run the app (errors become one ``error:`` line, see CommandGroup)."""
    with fail_on_errors():
        app()
