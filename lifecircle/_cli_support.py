"""Plumbing of the ``lifecircle`` command line: one exit-code path, progress, table outputs.

**One exit-code path.** Every command runs inside :class:`CommandGroup.invoke`, which turns
whatever stops it into one ``error:`` line on standard error and an exit code, wherever the
problem is found (study file, layers, analysis, writing):

====  =======================================================================
0     success / every target met
1     a target missed (``check`` only)
2     bad input or usage: a :class:`~lifecircle.errors.LifecircleError`, an OS error
      about a named file (missing, unreadable, disk full...) or a bad option
3     an unexpected internal error (a bug: rerun with ``-v`` for the traceback)
130   interrupted (Ctrl-C); outputs are written atomically, so none is half-written
====  =======================================================================
"""

from __future__ import annotations

import errno
import os
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from typer._click import exceptions as click_exceptions
from typer.core import TyperGroup

from lifecircle.errors import LifecircleError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from typer._click.core import Context

    from lifecircle.coverage import CoverageResult, SeatSuggestions, WalkNetwork
    from lifecircle.geo import Layers
    from lifecircle.study import Study

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BUG",
    "EXIT_INTERRUPTED",
    "PAGE_SUFFIXES",
    "SITE_SUFFIXES",
    "CommandGroup",
    "Lang",
    "LangOpt",
    "OutputOpt",
    "Steps",
    "StudyArg",
    "echo_demo_coverage",
    "echo_demo_seats",
    "fail_on_errors",
    "pause_collector",
    "plain_message",
    "progress_wanted",
    "steps",
    "study_lang",
    "suggestion_summary",
    "table_suffix",
    "write_report_tables",
    "write_sites",
]

EXIT_BAD_INPUT = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130

#: Set by the root command: ``quiet`` (``-q``) and ``verbose`` (``-v`` count).
STATE: dict[str, Any] = {"quiet": False, "verbose": 0}


def _say(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


@contextmanager
def fail_on_errors(command: str = "lifecircle") -> Iterator[None]:
    """Map everything that can stop a command to one ``error:`` line and an exit code."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except click_exceptions.UsageError as exc:
        if isinstance(exc, click_exceptions.NoArgsIsHelpError):
            raise
        where = exc.ctx.command_path if exc.ctx is not None else command
        _say(f"{exc.format_message()} (see `{where} --help`)")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except click_exceptions.ClickException:
        raise
    except LifecircleError as exc:
        _say(plain_message(str(exc)))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        _say("interrupted; no output file was left half-written")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except MemoryError:
        _say("ran out of memory; use smaller inputs (a smaller network extract or fewer grids)")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except OSError as exc:
        if exc.errno == errno.EPIPE:  # output piped into `head`: not an error
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        _say(f"{where}{exc.strerror or exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except Exception as exc:  # a bug: say so plainly, traceback with -v
        if STATE["verbose"]:
            traceback.print_exc()
        _say(
            f"unexpected internal error ({type(exc).__name__}: {exc}); this is a bug in "
            "lifecircle: please report it with the output of the same command run with -v"
        )
        raise typer.Exit(EXIT_BUG) from None


class CommandGroup(TyperGroup):
    """The root command: runs every subcommand through :func:`fail_on_errors`."""

    def invoke(self, ctx: Context) -> Any:
        """Invoke the subcommand; problems become one ``error:`` line and an exit code."""
        with fail_on_errors(ctx.command_path):
            return super().invoke(ctx)


#: Python-API wording in library messages -> study-file wording for the command line.
_PLANNER_WORDS = (
    (re.compile(r" \(listed in result(?:\(\))?\.\w+\)"), ""),  # result.x or result().x
    (re.compile(r"\b(max_snap_m|spacing_m)=([0-9.eE+-]+)( m\b)?"), r"\2 m (\1 under [analysis])"),
    (
        re.compile(r"pass crs='(\w+)' \(or '(\w+)'\) when reading the layers"),
        r'add crs = "\1" (or "\2") to the layer under [layers] in the study file',
    ),
)


def plain_message(text: str) -> str:
    """Rewrite API wording for command-line users: no ``result.*`` attributes, and keyword
    arguments named as the study-file keys that set them.

    Examples
    --------
    >>> plain_message("3 points beyond max_snap_m=100 m (listed in result.unsnapped)")
    '3 points beyond 100 m (max_snap_m under [analysis])'
    >>> plain_message("3 points far (listed in result().unsnapped)")
    '3 points far'
    """
    for pattern, replacement in _PLANNER_WORDS:
        text = pattern.sub(replacement, text)
    return text


def progress_wanted() -> bool:
    """Progress bars only for a person at a terminal: not with -q, in CI or when piped."""
    return not STATE["quiet"] and sys.stderr.isatty() and not os.environ.get("CI")


class Steps:
    """A one-line progress display of a command's long steps (on standard error).

    Parameters
    ----------
    total : int
        How many steps the command takes; each is named by :meth:`next` in plain words.
    enabled : bool
        Show anything at all (see :func:`progress_wanted`).
    """

    def __init__(self, total: int, *, enabled: bool) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=total, disable=not enabled, file=sys.stderr, leave=False,
            bar_format="{desc}… ({n}/{total} steps done)", dynamic_ncols=True,
        )  # fmt: skip
        self._started = False

    def next(self, label: str) -> None:
        """Mark the previous step done and show ``label`` as the current one."""
        self._bar.set_description_str(label, refresh=False)
        if self._started:
            self._bar.update(1)
        self._bar.refresh()  # update() alone waits out tqdm's minimum interval
        self._started = True

    def close(self) -> None:
        """Finish the display (it disappears; the command's own output follows)."""
        self._bar.close()


@contextmanager
def steps(total: int) -> Iterator[Steps]:
    """A :class:`Steps` display of ``total`` steps for the current command, always closed."""
    display = Steps(total, enabled=progress_wanted())
    try:
        yield display
    finally:
        display.close()


def write_report_tables(
    path: Path, result: CoverageResult, suggestions: SeatSuggestions | None, *, lang: str
) -> None:
    """The report's per-grid table (and suggested seats) as an Excel workbook."""
    from lifecircle.study.planner_tables import SHEETS, coverage_table, suggestion_table
    from lifecircle.tables import write_xlsx

    sheets = {SHEETS[lang]["grids"]: coverage_table(result, lang=lang)}
    if suggestions is not None:
        sheets[SHEETS[lang]["sites"]] = suggestion_table(
            suggestions.sites, lang=lang, radius_m=suggestions.radius_m
        )
    write_xlsx(sheets, path)


def suggestion_summary(suggestions: SeatSuggestions) -> str:
    """One plain sentence: how many sites, residents helped, and how good the answer is."""
    placement = suggestions.placement
    quality = (
        "a proven optimum" if placement.gap <= 1e-9
        else f"within {100 * placement.gap:.2g}% of the best possible"
    )  # fmt: skip
    helped = round(float(suggestions.sites["gain_residents"].sum()))
    return (
        f"{len(suggestions.sites)} new seat sites chosen from {suggestions.n_candidates:,} "
        f"candidates ({quality}): {helped:,} more residents within a "
        f"{suggestions.radius_m:g} m walk of a seat."
    )


#: Suffixes of the HTML pages ``map``, ``report`` and ``compare`` write.
PAGE_SUFFIXES = (".html", ".htm")

#: Output formats of ``suggest -o``, by suffix (a shapefile would truncate the column names).
SITE_SUFFIXES = (".xlsx", ".csv", ".geojson", ".json", ".gpkg")


def table_suffix(path: Path, option: str, allowed: tuple[str, ...]) -> str:
    """The suffix of ``path`` when allowed; otherwise a usage error naming the option."""
    from lifecircle.errors import ConfigError

    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ConfigError(
            f"{option} {path.name}: expected a file name ending in {', '.join(allowed)}"
        )
    return suffix


def write_sites(sites: gpd.GeoDataFrame, table: pd.DataFrame, output: Path) -> None:
    """Write suggested sites atomically: a planner's table or a GIS layer, by suffix."""
    from lifecircle.atomic_files import atomic_path
    from lifecircle.tables import write_table

    suffix = output.suffix.lower()
    if suffix in (".xlsx", ".csv"):
        write_table(table, output)
        return
    driver = "GPKG" if suffix == ".gpkg" else "GeoJSON"
    with atomic_path(output) as staged:  # the layer is named after the file, not the temp name
        sites.to_file(staged, driver=driver, layer=output.stem)


def describe_network(network: WalkNetwork) -> str:
    """One plain sentence about a walking network, for a terminal (no repr, no local path).

    Examples
    --------
    >>> import lifecircle as lc
    >>> describe_network(lc.load_demo_network())  # doctest: +ELLIPSIS
    'walking network: ... junctions, ... street segments, 66.8 km...'
    """
    meta = network.meta
    km = network.edges["length_m"].sum() / 1000
    text = (
        f"walking network: {network.n_nodes:,} junctions, {network.n_edges:,} street segments, "
        f"{km:.1f} km"
    )
    if "length_inside_extent_m" in meta:
        inside_km = cast(float, meta["length_inside_extent_m"]) / 1000
        text += (
            f" ({inside_km:.1f} km inside the study area, kept up to "
            f"{meta['extent_buffer_m']:,.0f} m beyond it)"
        )
    pieces = len(network.components())
    text += "; in one piece" if pieces == 1 else f"; {pieces} separate pieces"
    source = str(network.source)
    name = Path(source).name if source and not source.startswith("<") else ""
    return text + (f"; from {name}" if name else "")


def network_pieces_table(network: WalkNetwork, *, most: int = 10) -> str:
    """The largest connected pieces of a network as a plain text table (longest first)."""
    import pandas as pd

    pieces = network.components().head(most)
    table = pd.DataFrame(
        {
            "junctions": pieces["n_nodes"],
            "segments": pieces["n_edges"],
            "km": (pieces["length_m"] / 1000).round(2),
            "share of length": [f"{share:.1%}" for share in pieces["share_of_length"]],
        }
    )
    table.index.name = "piece"
    text: str = table.to_string()
    return text


# --------------------------------------------------------------------------- the demo
def pause_collector(ctx: typer.Context) -> None:
    """Switch Python's cyclic garbage collector off until the current command ends.

    For the demo only: its inputs are small and fixed, so the cycles it leaves behind are
    a few MB (peak memory +1 %), while the collector's passes over the million-odd objects
    that geopandas, folium and matplotlib bring in took about a tenth of its CPU time.
    Reference counting still frees everything else at once. Not for commands on a
    planner's own data, whose size is not known in advance.
    """
    import gc

    if gc.isenabled():
        gc.disable()
        ctx.call_on_close(gc.enable)


def echo_demo_seats(layers: Layers, network: WalkNetwork, *, k: int) -> SeatSuggestions:
    """Print seat reach, rest gaps and the top suggested seats; return the suggestions."""
    from lifecircle.coverage.measures import suggest_seats

    # the suggestions start from today's seat reach and rest gaps (at the default reach and
    # gap): print those rather than computing them a second time
    result: SeatSuggestions = suggest_seats(layers, network, k=k, time_limit_s=5)
    reach, gaps = result.reach_before, result.gaps_before
    typer.echo(
        f"\nSeats: {100 * reach.length_share:.1f}% of street length and "
        f"{100 * reach.weight_share:.1f}% of residents are within a {reach.reach_m:g} m walk of "
        f"a seat; {100 * gaps.share_ok:.1f}% of residents walk to their nearest elderly service "
        f"with no stretch over {gaps.max_gap_m:g} m without a seat (median longest stretch "
        f"{gaps.points['longest_gap_m'].median():.0f} m)."
    )
    cols = ["rank", "gain_residents", "gain_gap_residents", "street", "nearest_seat_m", "grids"]
    typer.echo(
        f"\nTop {k} suggested new seat sites ({result.placement.status}, "
        f"proven gap {100 * result.placement.gap:.2g}%):"
    )
    typer.echo(result.sites[cols].round(1).to_string(index=False))
    return result


def echo_demo_coverage(
    layers: Layers, network: WalkNetwork, *, walk_minutes: float = 15.0
) -> CoverageResult:
    """Print per-grid elderly-service coverage at elderly and adult speeds; return the former."""
    import pandas as pd

    from lifecircle.coverage.measures import compute_coverage
    from lifecircle.coverage.routing import PROFILES

    columns, covered = {}, {}
    results: dict[str, CoverageResult] = {}
    for name in ("elderly", "adult"):
        results[name] = compute_coverage(
            layers, network, profile=name, walk_minutes=walk_minutes,
            isochrones=name == "elderly", progress=False,
        )  # fmt: skip
        result = results[name]
        table = result.grid_table()
        speed = PROFILES[name].speed_m_s
        columns[f"{name} {speed:g} m/s"] = (100 * result.share("elderly")).round(1)
        leaf = table["is_leaf"].to_numpy(dtype=bool)
        covered[name] = (int(result.covered("elderly")[leaf].sum()), int(leaf.sum()))
    frame = pd.concat([table[["id", "name", "level", "weight"]], pd.DataFrame(columns)], axis=1)
    frame = frame.rename(columns={"weight": "residents"})
    typer.echo(f"\n{walk_minutes:g}-minute walk to elderly services (% of residents):")
    typer.echo(frame.to_string(index=False))
    (n_old, total), (n_adult, _) = covered["elderly"], covered["adult"]
    target = results["elderly"].target_share
    typer.echo(
        f"\n{n_old} of {total} grids reach >={target:.0%} of residents within {walk_minutes:g} "
        f"minutes at elderly pace ({PROFILES['elderly'].speed_m_s:g} m/s); {n_adult} of "
        f"{total} at adult pace ({PROFILES['adult'].speed_m_s:g} m/s)."
    )
    return results["elderly"]


# ------------------------------------------------------------ argument types of the commands
class Lang(StrEnum):
    """Output language."""

    zh = "zh"
    en = "en"


StudyArg = Annotated[
    Path, typer.Argument(help="The study file (.toml); see `lifecircle init`.", show_default=False)
]
LangOpt = Annotated[
    Lang | None, typer.Option("--lang", help="Output language (default: the study's).")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Output file (default: in the study's outputs dir)."),
]


def study_lang(lang: Lang | None, study: Study) -> str:
    """The language asked for on the command line, else the study's."""
    return lang.value if lang is not None else study.lang
