"""Collects problems with their key paths while reading a parsed study TOML document.

Used by :mod:`lifecircle.study.config` only.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lifecircle.errors import ConfigError, OptionError, OptionTypeError
from lifecircle.input_files import input_file_problem
from lifecircle.options import check_number

__all__ = ["ProblemCollector", "join_key", "parse_toml", "show_value"]


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """Parse the TOML ``text`` of the file ``path`` (a leading byte-order mark is ignored).

    Raises
    ------
    ConfigError
        Naming the file: the text is not TOML, or nests arrays or tables so deeply that
        no study or scenario file could need it (Python's parser gives up on its recursion
        limit).
    """
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc).replace(
            "Illegal character '\\n'", "the line ends inside a string (is a closing quote missing?)"
        )
        raise ConfigError(f"{path.name}: not valid TOML: {reason}") from None
    except RecursionError:
        raise ConfigError(
            f"{path.name}: not a study or scenario file: arrays or tables are nested "
            "hundreds of levels deep; check the brackets [ ] and braces { }"
        ) from None


def show_value(value: object) -> str:
    """Render a TOML value the way the user wrote it (strings quoted)."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)


class ProblemCollector:
    """Collects problems with their key paths while reading a parsed TOML document."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def table(self, doc: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        value = doc.get(key, {})
        if not isinstance(value, dict):
            self.add(join_key(where, key), f"expected a table, got {show_value(value)}")
            return {}
        return value

    def known_keys(self, table: Mapping[str, Any], where: str, known: tuple[str, ...]) -> None:
        for key in table:
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f'did you mean "{close[0]}"?' if close else f"expected one of {', '.join(known)}"
            self.add(join_key(where, key), f"unknown key; {hint}")

    def string(
        self,
        table: Mapping[str, Any],
        key: str,
        where: str,
        default: str | None = None,
        choices: tuple[str, ...] = (),
    ) -> str | None:
        if key not in table:
            return default
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            self.add(join_key(where, key), f"expected a non-empty string, got {show_value(value)}")
            return default
        if choices and value not in choices:
            close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            self.add(
                join_key(where, key),
                f"expected one of {', '.join(choices)}, got {show_value(value)}{hint}",
            )
            return default
        return value

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        where: str,
        default: float | None = None,
        share: bool = False,
    ) -> float | None:
        """``table[key]`` as a positive number (a share in [0, 1] with ``share``)."""
        if key not in table:
            return default
        value = table[key]
        try:
            return check_number(key, value, allow_zero=share, at_most=1 if share else None)
        except (OptionError, OptionTypeError) as exc:
            hint = ""
            if share and isinstance(value, str) and value.strip().endswith("%"):
                hint = _percent_hint(value.strip()[:-1])
            elif share and isinstance(value, int | float) and 1 < value <= 100:
                hint = f" (write {value / 100:g} for {value:g}%)"
            self.problem(join_key(where, key), exc, hint)
            return default

    def number_option(
        self, kind: Callable[..., object], table: Mapping[str, Any], key: str, where: str
    ) -> float | None:
        """``table[key]`` checked as the numeric option ``key`` of the options class ``kind``.

        The options class is the one place the option is checked; its problem is reported
        here under the study file's key. ``None`` when the key is absent or unusable.
        """
        if key not in table:
            return None
        try:
            value = getattr(kind(**{key: table[key]}), key)
        except (OptionError, OptionTypeError) as exc:
            self.problem(join_key(where, key), exc)
            return None
        return float(value)

    def problem(self, where: str, exc: OptionError | OptionTypeError, hint: str = "") -> None:
        """An options check's problem in the study file's words (TOML values)."""
        self.add(where, f"expected {exc.expected}, got {show_value(exc.value)}{hint}")

    def boolean(self, table: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.add(join_key(where, key), f"expected true or false, got {show_value(value)}")
            return default
        return value

    def path(self, value: object, where: str, *, must_exist: bool = True) -> Path | None:
        if not isinstance(value, str) or not value.strip():
            self.add(where, f"expected a file path (string), got {show_value(value)}")
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = self.base_dir / path
        problem = input_file_problem(path) if must_exist else None
        if problem:
            self.add(where, f'{problem}: "{value}" (looked for {path})')
            return None
        return path

    def folder(self, value: object, where: str, default: str) -> Path | None:
        """A folder lifecircle may create: not an existing file, nor below one."""
        path = self.path(value if value is not None else default, where, must_exist=False)
        if path is None:
            return None
        for part in (path, *path.parents):
            if part.exists() and not part.is_dir():
                shown = "it" if part == path else f"{part}"
                self.add(
                    where,
                    f'"{path}" cannot be a folder: {shown} is a file; move that file away or '
                    f"set {_toml_hint(where)}",
                )
                return None
            if part.exists():
                break
        return path

    def numbers(self, table: Mapping[str, Any], key: str, where: str) -> dict[str, float]:
        value = table.get(key, {})
        if not isinstance(value, dict):
            self.add(join_key(where, key), f"expected a table of seconds, got {show_value(value)}")
            return {}
        out = {}
        for name, seconds in value.items():
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                self.add(
                    join_key(join_key(where, key), name),
                    f"expected seconds (a number >= 0), got {show_value(seconds)}",
                )
            else:
                out[name] = float(seconds)
        return out


def _percent_hint(number: str) -> str:
    try:
        return f" (write {float(number) / 100:g} for {number.strip()}%)"
    except ValueError:
        return " (write a share, e.g. 0.9 for 90%)"


def _toml_hint(where: str) -> str:
    """``cache.dir`` -> ``dir = "another-folder" under [cache]``."""
    table, _, key = where.rpartition(".")
    return f'{key} = "another-folder" under [{table}]' if table else f'{key} = "another-folder"'


def join_key(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
