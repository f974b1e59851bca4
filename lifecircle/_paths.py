"""Input paths: one wording for a file that is missing or is a folder, wherever it is read."""

from __future__ import annotations

from pathlib import Path

__all__ = ["input_file_problem"]


def input_file_problem(path: Path) -> str | None:
    """Return why ``path`` cannot be read as a file, or None when it is a file.

    ``"is a folder, expected a file"`` for a directory, ``"file not found"`` otherwise.
    """
    if path.is_file():
        return None
    return "is a folder, expected a file" if path.is_dir() else "file not found"
