"""The files ``lifecircle check`` writes: JUnit, JSON, Markdown and the planners' workbook.

Each file is written atomically (a temporary file in the same folder, then a rename), so a
failed or interrupted run never leaves half a report beside the study.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lifecircle.atomic_files import write_text_atomic
from lifecircle.study.outputs import report_to_json, report_to_junit, report_to_markdown
from lifecircle.study.planner_tables import check_tables
from lifecircle.study.targets import CheckReport
from lifecircle.tables import write_xlsx

__all__ = ["write_check_outputs"]

logger = logging.getLogger(__name__)


def write_check_outputs(
    report: CheckReport, outputs: dict[str, Path | None], *, lang: str, timestamp: bool
) -> None:
    """Write the requested report files atomically.

    Parameters
    ----------
    report : CheckReport
        The evaluated targets.
    outputs : dict of str to Path or None
        ``"junit"``, ``"json"``, ``"markdown"`` and ``"xlsx"`` to the file to write (None:
        not requested).
    lang : {"zh", "en"}
        Language of the files.
    timestamp : bool
        Add ``generated_at`` (UTC, seconds) to the JSON.
    """
    stamp = None
    if timestamp:
        from datetime import UTC, datetime

        stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
    renderers = {
        "junit": lambda: report_to_junit(report, lang=lang),
        "json": lambda: report_to_json(report, lang=lang, generated_at=stamp),
        "markdown": lambda: report_to_markdown(report, lang=lang),
    }
    for kind, path in outputs.items():
        if path is None:
            continue
        if kind == "xlsx":
            write_xlsx(check_tables(report, lang=lang), path)
        else:
            write_text_atomic(path, renderers[kind]())
        logger.info("wrote %s", path)
