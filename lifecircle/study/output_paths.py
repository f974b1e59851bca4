"""Output files a command may write: never one of the study's own input files.

``lifecircle check study.toml --json study.toml`` would otherwise replace the study file
with the JSON report, and ``--xlsx data/seats.xlsx`` a layer with the targets workbook:
the commands check every output path here, with
:func:`~lifecircle.atomic_files.check_destination`, before any analysis.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from lifecircle.atomic_files import check_destination
from lifecircle.errors import ConfigError
from lifecircle.study.config import LayerSource, Study

__all__ = ["check_output_paths", "study_input_files"]


def study_input_files(study: Study) -> list[Path]:
    """The files a study reads: the study file, its layers, network, boundaries, districts."""
    sources: list[LayerSource | None] = [*study.layers.values(), study.boundary]
    sources.append(study.network.boundary)
    files = [study.path, *(s.path for s in sources if s is not None)]
    if study.network.path is not None:
        files.append(study.network.path)
    if study.batch is not None:
        files.append(study.batch.districts)
    return files


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either does not exist (yet)
        return a.resolve() == b.resolve()


def _named(outputs: Mapping[str, Path | None]) -> Iterator[tuple[str, Path]]:
    for option, path in outputs.items():
        if path is not None:
            yield option, Path(path)


def check_output_paths(
    outputs: Mapping[str, Path | None], study: Study, *, inputs: Iterable[Path] = ()
) -> None:
    """Check, before any work, that each output path can be written and replaces no input.

    Parameters
    ----------
    outputs : mapping of str to Path or None
        Option (``"--json"``) -> the file it names; None: not asked for.
    study : Study
        Its input files may not be overwritten.
    inputs : iterable of Path
        More files the command reads (scenario files, a candidates file).

    Raises
    ------
    ConfigError
        An output names an input file, or two outputs name the same file.
    OSError
        An output cannot become a file (see :func:`check_destination`).
    """
    read = [*study_input_files(study), *(Path(p) for p in inputs)]
    seen: list[tuple[str, Path]] = []
    for option, path in _named(outputs):
        for source in read:
            if _same_file(path, source):
                raise ConfigError(
                    f"{option} {path}: this is an input of the study (it would be overwritten); "
                    "write the output to another file"
                )
        for other, earlier in seen:
            if _same_file(path, earlier):
                raise ConfigError(
                    f"{option} {path}: {other} writes the same file; give each output its own"
                )
        check_destination(path)
        seen.append((option, path))
