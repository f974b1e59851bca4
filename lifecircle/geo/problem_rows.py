"""How problems name rows and group examples; warnings that point at the user's code.

Shared by the layer validators (:mod:`~lifecircle.geo.validate`, :mod:`~lifecircle.geo.values`,
:mod:`~lifecircle.geo.geometry_problems`), so every problem message lists rows the same way.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType

from lifecircle.errors import LifecircleWarning

__all__ = ["MAX_EXAMPLES", "Rows", "first_few", "grouped", "warn_user"]

#: How many offending rows a problem message lists before "and N more".
MAX_EXAMPLES = 5


@dataclass
class Rows:
    """Labels rows as ``id 'S1' (row 3)`` or ``feature 4``.

    ``noun`` is ``"row"`` (spreadsheet row numbers, the header is row 1) or
    ``"feature"`` (counted from 1); ``first`` is the number of the first data row.
    """

    noun: str
    first: int
    ids: list[str | None] = field(default_factory=list)

    def __call__(self, pos: int) -> str:
        where = self.where(pos)
        ident = self.ids[pos] if pos < len(self.ids) else None
        return f"id {ident!r} ({where})" if ident is not None else where

    def where(self, pos: int) -> str:
        """``row 3`` / ``feature 4`` without the id."""
        return f"{self.noun} {pos + self.first}"


def first_few(texts: Sequence[str]) -> str:
    """At most :data:`MAX_EXAMPLES` of ``texts``, then "and N more"."""
    more = len(texts) - MAX_EXAMPLES
    return ", ".join(texts[:MAX_EXAMPLES]) + (f" and {more} more" if more > 0 else "")


def grouped(what: str, hits: Sequence[str], noun: str, expected: str = "") -> str:
    """``what in 3 rows: a, b, c; expected ...``."""
    count = len(hits)
    plural = noun if count == 1 else noun + "s"
    tail = f"; expected {expected}" if expected else ""
    return f"{what} in {count} {plural}: {first_few(hits)}{tail}"


def _user_stacklevel() -> int:
    """Stack level of the first frame outside lifecircle (so warnings point at user code)."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("lifecircle"):
        frame = frame.f_back
        level += 1
    return level


def warn_user(message: str, category: type[LifecircleWarning]) -> None:
    """Emit ``message`` pointing at the first caller outside the lifecircle package."""
    warnings.warn(message, category, stacklevel=_user_stacklevel())
