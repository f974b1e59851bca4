"""``lifecircle suggest``: where new public seats, or new facilities of a service, do most.

Kept out of ``cli.py`` (which registers it) so that the command line stays one file per
concern. Without ``--service`` it ranks new seat sites; with it, new facility sites with the
existing ones kept (:func:`lifecircle.suggest_facilities`) and the proven optimality gap.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lifecircle._cli_support import (
    SITE_SUFFIXES,
    LangOpt,
    OutputOpt,
    StudyArg,
    steps,
    study_lang,
    suggestion_summary,
    table_suffix,
    write_sites,
)

if TYPE_CHECKING:
    from lifecircle.study import Study

__all__ = ["Objective", "suggest"]


class Objective(StrEnum):
    """What ``suggest --service`` optimises."""

    covering = "covering"
    total = "total"
    worst = "worst"


def suggest(
    study: StudyArg,
    seats: Annotated[
        int | None,
        typer.Option(
            "--seats",
            "-k",
            "--sites",
            min=1,
            help="How many new sites: seats (default 10), or with --service facilities "
            "(default [siting] sites, else 2).",
        ),
    ] = None,
    output: OutputOpt = None,
    lang: LangOpt = None,
    gcj02: Annotated[
        bool, typer.Option("--gcj02", help="Also give coordinates in GCJ-02 (AMap/Tencent).")
    ] = False,
    service: Annotated[
        str | None,
        typer.Option("--service", help="Suggest new facilities of this service, not seats."),
    ] = None,
    objective: Annotated[
        Objective | None,
        typer.Option("--objective", help="covering (default), total or worst walking time."),
    ] = None,
    candidates: Annotated[
        Path | None, typer.Option("--candidates", help="Candidate sites file (default buildings).")
    ] = None,
) -> None:
    """Suggest where new public seats (or, with --service, facilities) do the most good.

    Prints a ranked table (nearest street, WGS-84 coordinates, residents helped); with -o
    writes the sites: .xlsx or .csv (a table with Chinese or English headers, see --lang),
    .geojson or .gpkg (points for GIS). With --service: where new facilities of
    that service should go, the existing ones kept, with the proven optimality gap
    ([siting] in the study file sets the rest).

    Example: lifecircle suggest study.toml --seats 10 -o new-seats.xlsx

    Example: lifecircle suggest study.toml --service elderly --sites 2 -o stations.xlsx
    """
    from lifecircle.coverage.measures.seat_suggestions import suggest_seats
    from lifecircle.study import load_study
    from lifecircle.study.output_paths import check_output_paths
    from lifecircle.study.planner_tables import suggestion_table
    from lifecircle.study.run import load_study_layers, load_study_network

    config = load_study(study)
    code = study_lang(lang, config)
    if output is not None:  # fail before the analysis, not after it
        table_suffix(output, "--output", SITE_SUFFIXES)
        check_output_paths({"--output": output}, config, inputs=[candidates] if candidates else [])
    if service is not None:
        _suggest_facilities(config, code, (service, seats, objective, candidates), output, gcj02)
        return
    if objective is not None or candidates is not None:
        from lifecircle.errors import ConfigError

        raise ConfigError("--objective and --candidates choose facility sites: add --service")
    seats = 10 if seats is None else seats
    with steps(3) as progress:
        progress.next("reading the layers")
        layers = load_study_layers(config)
        progress.next("walking network")
        walk = load_study_network(config)
        progress.next(f"choosing {seats} seat sites")
        # the study's [analysis] max_snap_m, as for its coverage and seat targets
        suggestions = suggest_seats(layers, walk, k=seats, max_snap_m=config.coverage.max_snap_m)
    table = suggestion_table(suggestions.sites, lang=code, radius_m=suggestions.radius_m,
                             gcj02=gcj02)  # fmt: skip
    typer.echo(suggestion_summary(suggestions))
    typer.echo(table.to_string(index=False))
    if output is not None:
        write_sites(suggestions.sites, table, output)
        typer.echo(f"wrote {output}")


def _suggest_facilities(
    config: Study,
    code: str,
    question: tuple[str | None, int | None, Objective | None, Path | None],
    output: Path | None,
    gcj02: bool,
) -> None:
    """``suggest --service``: new facility sites, their table and the proven gap."""
    from lifecircle.study.run import load_study_layers, load_study_network
    from lifecircle.study.siting_run import suggest_study_sites
    from lifecircle.study.siting_tables import siting_notes, siting_summary, siting_table

    service, sites, objective, candidates = question
    with steps(3) as progress:
        progress.next("reading the layers")
        layers = load_study_layers(config)
        progress.next("walking network")
        walk = load_study_network(config)
        progress.next("choosing facility sites")
        found = suggest_study_sites(
            config, layers, walk, service=service, sites=sites,
            objective=None if objective is None else objective.value, candidates=candidates,
        )  # fmt: skip
    table = siting_table(found, lang=code, gcj02=gcj02)
    typer.echo(siting_summary(found, lang=code))
    for note in siting_notes(found, lang=code):
        typer.echo(("说明：" if code == "zh" else "Note: ") + note)
    typer.echo(table.to_string(index=False))
    if output is not None:
        write_sites(found.sites, table, output)
        typer.echo(f"wrote {output}")
