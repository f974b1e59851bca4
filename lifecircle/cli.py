"""The ``lifecircle`` command line.

This is the only module that configures logging. Exit codes: 0 = success / all
targets met, 1 = a target missed, 2 = bad input or usage.
"""

from __future__ import annotations

import logging
import sys

import typer

from lifecircle import __version__
from lifecircle.errors import LifecircleError

app = typer.Typer(
    name="lifecircle",
    help="Is your neighbourhood a real 15-minute community life circle?\n\n"
    "Example: lifecircle demo",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else
                                         logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def demo() -> None:
    """Run the whole pipeline on the embedded synthetic demo district.

    Example: lifecircle demo
    """
    from lifecircle.geo import load_demo_layers

    layers = load_demo_layers()
    typer.echo("lifecircle demo — SYNTHETIC district (fictional, not real streets)")
    typer.echo(layers.summary().to_string())


def main() -> None:
    """Entry point: run the app and turn user errors into exit code 2 with a clear message."""
    try:
        app()
    except LifecircleError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
