"""Argument checks shared by the coverage and seat functions (before any expensive work)."""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["check_positive"]


def check_positive(*, allow_zero: bool = False, **values: object) -> tuple[float, ...]:
    """Return ``values`` as floats, checking each is a finite real number > 0 (or >= 0).

    Python and numpy numbers are accepted (``numbers.Real``); bools, NaN and infinities
    are not.

    Raises
    ------
    TypeError
        For a value that is not a number (a string, None...).
    ValueError
        For a bool, NaN, an infinity, or a value below the bound.
    """
    out = []
    bound = ">= 0" if allow_zero else "> 0"
    for key, value in values.items():
        if not isinstance(value, numbers.Real | np.bool_):
            raise TypeError(f"{key} must be a number {bound}, got {value!r}")
        number = float(value)
        if (
            isinstance(value, bool | np.bool_)
            or not math.isfinite(number)
            or number < 0
            or (number == 0 and not allow_zero)
        ):
            raise ValueError(f"{key} must be a finite number {bound}, got {value!r}")
        out.append(number)
    return tuple(out)
