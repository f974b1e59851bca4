"""What a batch did (:class:`BatchRun`) and where its per-district files go.

Shared by :mod:`lifecircle.study.batch` (which runs the districts) and
:mod:`lifecircle.study.batch_outputs` (which writes the city outputs).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lifecircle.study.batch_inputs import CityInputs
    from lifecircle.study.config import Study

__all__ = ["BatchRun", "district_file_stem", "report_path", "result_path"]


@dataclass(frozen=True)
class BatchRun:
    """What :func:`run_batch` did: every district's result and the files written."""

    study: Study
    inputs: CityInputs
    #: District id -> its result (see :func:`~lifecircle.study.batch_task.run_district`).
    results: Mapping[str, Mapping[str, Any]]
    #: Ids computed in this run and ids whose earlier result was reused.
    computed: tuple[str, ...]
    skipped: tuple[str, ...]
    files: Mapping[str, Path] = field(default_factory=dict)
    #: Seconds of the one-off city network step (a build, or a load from the cache).
    network_cpu_s: float = 0.0
    network_wall_s: float = 0.0

    @property
    def failed(self) -> dict[str, str]:
        """District id -> the message of what stopped it."""
        return {k: str(r["message"]) for k, r in self.results.items() if r["status"] != "ok"}

    @property
    def passed(self) -> bool:
        """Every district computed and every target met in each."""
        return all(
            r["status"] == "ok" and all(t["passed"] for t in r["targets"])
            for r in self.results.values()
        )


def district_file_stem(district_id: str) -> str:
    """A file name for a district id: the id when it is a plain name, else a safe form
    with a short hash (two ids never share a file)."""
    safe = re.sub(r"[^\w\-]", "_", district_id, flags=re.ASCII)[:60] or "district"
    if safe == district_id:
        return safe
    return f"{safe}-{hashlib.sha256(district_id.encode()).hexdigest()[:8]}"


def result_path(out_dir: Path, district_id: str) -> Path:
    """Where a district's result is written (JSON)."""
    return out_dir / "districts" / f"{district_file_stem(district_id)}.json"


def report_path(out_dir: Path, district_id: str, lang: str) -> Path:
    """Where a district's committee report is written."""
    return out_dir / "reports" / f"{district_file_stem(district_id)}-{lang}.html"
