"""How problems name rows and group examples; warnings that point at the user's code.

Shared by the layer validators (:mod:`~lifecircle.geo.validate`, :mod:`~lifecircle.geo.values`,
:mod:`~lifecircle.geo.geometry_problems`), so every problem message lists rows the same way.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType

import numpy as np

from lifecircle.errors import LifecircleWarning

__all__ = ["MAX_EXAMPLES", "Rows", "first_few", "grouped", "show_cell", "warn_user"]

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


def show_cell(value: object) -> str:
    """A raw cell as its file shows it, never a Python or numpy repr.

    Text is quoted (so blanks and spaces show), numbers are plain, a blank number is
    ``blank``, and lists or objects (a GeoJSON property holding an array) are written out.

    Examples
    --------
    >>> import numpy as np
    >>> [show_cell(v) for v in ("1 200", np.float64(2.5), np.nan, np.int32(7), True)]
    ["'1 200'", '2.5', 'blank', '7', 'true']
    >>> show_cell([1, "a"]), show_cell({"a": 1})
    ("[1, 'a']", '{a: 1}')
    """
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return "blank"
        if number.is_integer() and abs(number) < 1e16:
            return str(int(number))
        return f"{number:g}"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {show_cell(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence | np.ndarray):
        return "[" + ", ".join(show_cell(v) for v in value) + "]"
    return repr(str(value))


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
