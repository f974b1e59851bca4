"""Public exception and warning hierarchy.

Every error a user can cause is a :class:`LifecircleError`. Value problems also
derive from :class:`ValueError` so generic ``except ValueError`` code keeps working.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CRSError",
    "ColumnWarning",
    "ConfigError",
    "CoordinateWarning",
    "DatumWarning",
    "Fix",
    "GeometryWarning",
    "InfeasibleError",
    "InputWarning",
    "LayerError",
    "LifecircleError",
    "LifecircleWarning",
    "NetworkError",
    "OptionError",
    "OptionTypeError",
    "ParameterError",
    "Problem",
    "hint_style",
]

#: How a fix is written: as reader keywords (``columns={'类型': 'level'}``) or as
#: study-file TOML (``columns = { "类型" = "level" }``).
HintStyle = Literal["python", "toml"]
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_HINTS: ContextVar[tuple[HintStyle, str | None]] = ContextVar(
    "lifecircle_hints", default=("python", None)
)


@contextmanager
def hint_style(style: HintStyle | None, layer: str | None = None) -> Iterator[None]:
    """Write fixes in ``style`` (for ``layer``'s study table) inside the ``with`` block.

    The study loader reads layers inside ``hint_style("toml")`` so that a fix reads
    ``columns = { "类型" = "level" } in [layers.seats]`` instead of keywords;
    ``load_layers`` names each layer with ``hint_style(None, "seats")``, ``None`` keeping
    the enclosing block's style (Python keywords outside any).
    """
    if style is None:
        style = _HINTS.get()[0]
    elif style not in ("python", "toml"):
        raise ValueError(f"hint style must be 'python' or 'toml', got {style!r}")
    token = _HINTS.set((style, layer))
    try:
        yield
    finally:
        _HINTS.reset(token)


class LifecircleError(Exception):
    """Base class of every error raised on purpose by lifecircle."""


def _python_value(value: object) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in value.items()) + "}"
    return repr(value)


def _toml_string(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def _toml_value(value: object) -> str:
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return _toml_string(value)


def _toml_key(key: object) -> str:
    text = str(key)
    return text if _BARE_KEY.fullmatch(text) else _toml_string(text)


@dataclass(frozen=True)
class Fix:
    """A fix written as reader settings, rendered for Python or for the study file.

    Parameters
    ----------
    settings : tuple of (str, object)
        Reader keyword arguments and their values, e.g.
        ``(("columns", {"类型": "level"}),)`` or ``(("x", "lon"), ("y", "lat"))``.
    """

    settings: tuple[tuple[str, object], ...]

    def render(self, style: HintStyle = "python", *, table: str | None = None) -> str:
        """Return the fix as Python keywords or as TOML (naming ``table`` when given).

        Several TOML settings are joined as in a layer's inline table:
        ``x = "经度", y = "纬度"`` (``seats = { path = "...", x = "经度", y = "纬度" }``).
        """
        if style == "python":
            return ", ".join(f"{k}={_python_value(v)}" for k, v in self.settings)
        text = ", ".join(f"{k} = {_toml_value(v)}" for k, v in self.settings)
        return f"{text} in [{table}]" if table else text


class Problem(str):
    """One problem sentence that may contain a :class:`Fix` and name a reader setting.

    It *is* the sentence (a ``str``, written in the Python hint style by default), so
    code that treats problems as text keeps working. The style is that of the
    enclosing :func:`hint_style` block (Python keywords by default); :meth:`restyled`
    rewrites it.

    Parameters
    ----------
    before : str
        The sentence up to the fix (or all of it).
    fix : Fix, optional
        The fix, inserted after ``before``.
    after : str
        Text after the fix.
    key : str, optional
        The reader setting the problem is about (``"crs"``, ``"x"``...): written as a
        prefix, ``crs: ...`` or, for the study file, ``layers.seats.crs: ...``.
    """

    before: str
    fix: Fix | None
    after: str
    key: str | None

    def __new__(
        cls,
        before: str,
        fix: Fix | None = None,
        after: str = "",
        *,
        key: str | None = None,
        style: HintStyle | None = None,
        layer: str | None = None,
    ) -> Problem:
        if style is None:
            style, layer = _HINTS.get()
        table = f"layers.{layer}" if layer and style == "toml" else None
        fix_text = fix.render(style, table=table) if fix is not None else ""
        where = ""
        if key is not None:
            where = f"{table}.{key}: " if table else f"{key}: "
        self = super().__new__(cls, f"{where}{before}{fix_text}{after}")
        self.before, self.fix, self.after, self.key = before, fix, after, key
        return self

    def restyled(self, style: HintStyle, *, layer: str | None = None) -> Problem:
        """The same problem with its fix written in ``style`` for ``layer``'s study table."""
        if style == "toml" and layer is None:
            layer = _HINTS.get()[1]
        return Problem(self.before, self.fix, self.after, key=self.key, style=style, layer=layer)


def _restyled(problem: str, style: HintStyle, layer: str | None) -> str:
    return problem.restyled(style, layer=layer) if isinstance(problem, Problem) else problem


class LayerError(LifecircleError, ValueError):
    """A layer file or frame is unusable; the message lists every problem found.

    Parameters
    ----------
    source : str
        The file name (or ``"<DataFrame>"``) the problems were found in.
    problems : sequence of str
        One human-readable sentence per problem (feature/row, column, value, expectation);
        :class:`Problem` instances carry a structured fix.
    layer : str, optional
        The layer (``"seats"``...) the file was read as.
    sections : sequence of LayerError, optional
        For an error combining several files: one error per file, in layer order.
        ``problems`` then holds one line per file.
    """

    def __init__(
        self,
        source: str,
        problems: Sequence[str],
        *,
        layer: str | None = None,
        sections: Sequence[LayerError] = (),
    ) -> None:
        self.source = source
        self.layer = layer
        self.sections = list(sections)
        self.problems = [str(s) for s in self.sections] if self.sections else list(problems)
        count = len(self.problems)
        if self.sections:
            lines = "".join(f"\n  {s}" for s in self.sections)
            super().__init__(f"{source}: {count} files have problems:{lines}")
            return
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source}: {count} {noun}: " + "; ".join(self.problems))

    @classmethod
    def combine(cls, errors: Sequence[LayerError], source: str = "layers") -> LayerError:
        """One error for several files (the only one when there is just one)."""
        if len(errors) == 1:
            return errors[0]
        return cls(source, [], sections=errors)

    def restyled(self, style: HintStyle) -> LayerError:
        """The same error with every fix written in ``style`` (``"toml"`` for study files)."""
        if self.sections:
            return LayerError(self.source, [], sections=[s.restyled(style) for s in self.sections])
        problems = [_restyled(p, style, self.layer) for p in self.problems]
        return LayerError(self.source, problems, layer=self.layer)


class CRSError(LifecircleError, ValueError):
    """A coordinate reference system is missing, unknown or inconsistent with the data."""


class NetworkError(LifecircleError, ValueError):
    """A walking network cannot be built or used (no walkable ways, unreadable file...)."""


class ConfigError(LifecircleError, ValueError):
    """A study configuration file is invalid."""


class ParameterError(LifecircleError, ValueError):
    """A setting whose value cannot work with this data (e.g. a demand lattice so fine it
    would not fit in memory); the message names the setting and a value that works."""


class _OptionCheckError(Exception):
    """What an options check found: the option, the value given and the rule in words.

    A mixin (not a :class:`LifecircleError` itself): each public subclass below is.
    """

    def __init__(self, message: str, *, option: str, value: object, expected: str) -> None:
        super().__init__(message)
        self.option = option
        self.value = value
        self.expected = expected


class OptionError(_OptionCheckError, ParameterError):
    """An option's value cannot work (out of range, unknown name...), found when an options
    object is made (:mod:`lifecircle.options`).

    Attributes
    ----------
    option : str
        The option's name (``"walk_minutes"``).
    value : object
        The value given.
    expected : str
        The rule in plain words (``"a positive number"``), for messages that name the
        setting another way (a study file's key, a command-line flag).
    """


class OptionTypeError(_OptionCheckError, LifecircleError, TypeError):
    """An option's value has the wrong type (text where a number belongs...); same
    attributes as :class:`OptionError`."""


class InfeasibleError(LifecircleError, RuntimeError):
    """An optimisation problem has no solution that satisfies its constraints."""


class LifecircleWarning(UserWarning):
    """Base class of lifecircle's warnings."""


class CoordinateWarning(LifecircleWarning):
    """Coordinates look suspicious (swapped axes, datum offset, far from the other layers)."""


class ColumnWarning(LifecircleWarning):
    """A column was generated or resolved by a rule (e.g. ids made from the file name)."""


class DatumWarning(CoordinateWarning):
    """A layer looks like GCJ-02/BD-09 read as WGS-84, or its file name contradicts its crs."""


class GeometryWarning(LifecircleWarning):
    """An invalid geometry was repaired (``shapely.make_valid``) with little change in area."""


class InputWarning(LifecircleWarning):
    """A file was read on an assumption the user should confirm.

    E.g. the header row was found below title rows, or a Shapefile without ``.prj`` was
    taken to be in WGS-84 degrees.
    """
