"""What the options objects share: one check per kind of setting, and the keyword form.

lifecircle's wide functions take a frozen, validated options object —
:class:`~lifecircle.coverage.options.CoverageOptions`,
:class:`~lifecircle.coverage.options.SeatOptions`, :class:`~lifecircle.maps.options.MapOptions`,
:class:`~lifecircle.maps.options.ReportOptions` — and keep the keyword form for notebooks::

    compute_coverage(layers, network, walk_minutes=10)
    compute_coverage(layers, network, options=CoverageOptions(walk_minutes=10))  # the same

Each option is checked once, when its options object is made (``__post_init__``), with
the checks below; a function given an options object trusts it. The errors
(:class:`~lifecircle.errors.OptionError`, :class:`~lifecircle.errors.OptionTypeError`) keep
what was wrong (``option``, ``value`` and ``expected``, the rule in plain words), so that the
study file reports the problem under its own key (``analysis.max_snap_m: expected a positive
number, got -5``) instead of checking the value a second time.

The module imports nothing of lifecircle's but :mod:`lifecircle.errors`: ``coverage`` and
``maps`` both use it, and neither may import the other.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from lifecircle.errors import OptionError, OptionTypeError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "check_flag",
    "check_number",
    "check_text",
    "unit_limit",
    "with_overrides",
]

_Options = TypeVar("_Options", bound="DataclassInstance")


#: The largest value an option may take, by the unit its name ends in: beyond these no
#: walking analysis makes sense, and products such as minutes x 60 x speed (the walking
#: buffer) would overflow to infinity in the geometry library.
UNIT_LIMITS = (
    ("_minutes", 1440.0, "minutes (a day)"),
    ("_m_s", 10.0, "m/s (a sprinter's pace)"),
    ("_m", 100_000.0, "metres (100 km)"),
    ("_s", 86_400.0, "seconds (a day)"),
)


def unit_limit(option: str) -> tuple[float, str] | None:
    """The largest sensible value of ``option`` by its unit suffix, and that limit in words.

    Examples
    --------
    >>> unit_limit("walk_minutes")
    (1440.0, 'minutes (a day)')
    >>> unit_limit("target_share") is None
    True
    """
    for suffix, limit, words in UNIT_LIMITS:
        if option.endswith(suffix):
            return limit, words
    return None


def check_number(
    option: str, value: object, *, allow_zero: bool = False, at_most: float | None = None
) -> float:
    """Return ``value`` as a float: a finite real number > 0 (>= 0), at most ``at_most``.

    Python and numpy numbers are accepted (:class:`numbers.Real`); bools, NaN and
    infinities are not. ``at_most=1`` with ``allow_zero=True`` is a share in [0, 1].
    Without ``at_most``, an option named with a unit (``walk_minutes``, ``speed_m_s``,
    ``reach_m``, ``time_limit_s``) may not exceed that unit's :data:`UNIT_LIMITS`.

    Raises
    ------
    OptionTypeError
        For a value that is not a number (a string, None...).
    OptionError
        For a bool, NaN, an infinity, or a value out of range.
    """
    bound = ">= 0" if allow_zero else "> 0"
    limit = unit_limit(option) if at_most is None else None
    if at_most == 1 and allow_zero:
        expected = "a number between 0 and 1"
    else:
        expected = "a number >= 0" if allow_zero else "a positive number"
    if not isinstance(value, numbers.Real | np.bool_):
        raise OptionTypeError(
            f"{option} must be a number {bound}, got {value!r}",
            option=option, value=value, expected=expected,
        )  # fmt: skip
    number = float(value)
    if (
        isinstance(value, bool | np.bool_)
        or not math.isfinite(number)
        or number < 0
        or (number == 0 and not allow_zero)
    ):
        raise OptionError(
            f"{option} must be a finite number {bound}, got {value!r}",
            option=option, value=value, expected=expected,
        )  # fmt: skip
    if limit is not None and number > limit[0]:
        raise OptionError(
            f"{option} must be at most {limit[0]:,g} {limit[1]}, got {value!r}",
            option=option, value=value, expected=f"{expected} of at most {limit[0]:,g} {limit[1]}",
        )  # fmt: skip
    if at_most is not None and number > at_most:
        span = f"[0, {at_most:g}]" if allow_zero else f"(0, {at_most:g}]"
        raise OptionError(
            f"{option} must be within {span}, got {value!r}",
            option=option, value=value, expected=expected,
        )  # fmt: skip
    return number


def check_flag(option: str, value: object) -> bool:
    """Return ``value`` as a bool: ``True`` or ``False`` (numpy's too), nothing else.

    Raises
    ------
    OptionTypeError
        For anything else (``"no"`` is not false).
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise OptionTypeError(
        f"{option} must be True or False, got {value!r}",
        option=option, value=value, expected="true or false",
    )  # fmt: skip


def check_text(option: str, value: object, *, optional: bool = True) -> str | None:
    """Return ``value`` if it is a string (or ``None`` when ``optional``).

    Raises
    ------
    OptionTypeError
        For anything else.
    """
    if isinstance(value, str) or (optional and value is None):
        return value
    expected = "text" + (" or None" if optional else "")
    raise OptionTypeError(
        f"{option} must be {expected}, got {value!r}",
        option=option, value=value, expected=expected,
    )  # fmt: skip


def with_overrides(
    options: _Options | None,
    overrides: Mapping[str, Any],
    *,
    kind: type[_Options],
    function: str,
) -> _Options:
    """``options`` (default ``kind()``) with ``overrides`` applied: the keyword form.

    Parameters
    ----------
    options : options object or None
        What the caller passed as ``options=``.
    overrides : mapping
        The keyword arguments given besides it (each an option of ``kind``).
    kind : type
        The options class (a frozen dataclass).
    function : str
        The public function's name, for messages.

    Raises
    ------
    TypeError
        When ``options`` is not a ``kind``, or a keyword is not one of its options
        (with the closest name, as a typo usually is).
    """
    if options is None:
        options = kind()
    elif not isinstance(options, kind):
        raise TypeError(
            f"{function}(): options must be a {kind.__name__}, got {type(options).__name__}"
        )
    if not overrides:
        return options
    names = [f.name for f in dataclasses.fields(kind)]
    for key in overrides:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"{function}() got an unexpected keyword argument {key!r}{hint}")
    return dataclasses.replace(options, **overrides)
