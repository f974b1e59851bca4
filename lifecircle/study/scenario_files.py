"""Scenario files: read and validate a scenario TOML, and write one back.

The file is validated like the study file (:mod:`lifecircle.study.config`, the same
:class:`~lifecircle.study.config_problems.ProblemCollector`): every problem at once, each
under its key (``add[2].type``), with did-you-mean; coordinates in any supported CRS are
converted to WGS-84 while reading. :func:`scenario_to_toml` writes what
:func:`scenario_from_text` reads back (WGS-84 coordinates): the live map exports its edits
with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lifecircle.errors import ConfigError, LifecircleError
from lifecircle.geo.schema import ELDERLY_TYPES, find_category
from lifecircle.input_files import input_file_problem
from lifecircle.study.config import BUILTIN_PROFILES, ProfileSpec
from lifecircle.study.config_problems import ProblemCollector, join_key, parse_toml, show_value
from lifecircle.study.scenario import (
    EDITABLE_LAYERS,
    AddFacility,
    AddSeat,
    Change,
    ClosePassage,
    MoveFacility,
    OpenPassage,
    RemoveFacility,
    Scenario,
    facility_types,
    wgs84_point,
)

__all__ = ["load_scenario", "load_scenarios", "scenario_from_text", "scenario_to_toml"]

_KEYS: dict[str, tuple[str, ...]] = {
    "": ("scenario", "add", "remove", "move", "close", "open", "profile"),
    "scenario": ("name", "description"),
    "add": ("layer", "id", "name", "type", "capacity", "seats", "x", "y", "crs"),
    "remove": ("layer", "id"),
    "move": ("layer", "id", "x", "y", "crs"),
    "close": ("x", "y", "crs", "name"),
    "open": ("from", "to", "crs", "name"),
    "profile": ("base", "speed_m_s", "penalties"),
}


def _xy(ck: ProblemCollector, row: Mapping[str, Any], where: str, crs: object) -> Any:
    """``(lon, lat)`` of a row's ``x``, ``y`` in its ``crs``; ``None`` after a problem."""
    values = []
    for key in ("x", "y"):
        value = row.get(key)
        if key not in row:
            example = "x = 121.45" if key == "x" else "y = 31.22"
            ck.add(join_key(where, key), f"missing; give the coordinate (e.g. {example})")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            ck.add(join_key(where, key), f"expected a number, got {show_value(value)}")
        elif not math.isfinite(value):
            ck.add(join_key(where, key), f"expected a finite number, got {show_value(value)}")
        else:
            values.append(float(value))
    if len(values) < 2 or crs is None:
        return None
    return _converted(ck, where, values[0], values[1], crs)


def _converted(
    ck: ProblemCollector, where: str, x: float, y: float, crs: object
) -> tuple[float, float] | None:
    try:
        lon, lat = wgs84_point(x, y, crs)  # type: ignore[arg-type]  # checked by parse_crs inside
    except LifecircleError as exc:
        ck.add(where, f"{exc}")
        return None
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        ck.add(
            where,
            f"x = {x:g}, y = {y:g} is no place on Earth in {crs}: expected longitude "
            "-180..180 and latitude -90..90 (x is the longitude); check the numbers and crs",
        )
        return None
    return lon, lat


def _crs(ck: ProblemCollector, row: Mapping[str, Any], where: str) -> object:
    from lifecircle.geo.crs import parse_crs

    value = row.get("crs", "EPSG:4326")
    try:
        parse_crs(value)
    except (LifecircleError, TypeError, ValueError):
        ck.add(
            join_key(where, "crs"),
            f'unknown CRS {show_value(value)}; write e.g. "EPSG:4326", "EPSG:4490", '
            f'"gcj02" (高德) or "bd09" (百度)',
        )
        return None
    return value


def _rows(ck: ProblemCollector, doc: Mapping[str, Any], key: str) -> list[tuple[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        ck.add(key, f"expected an array of tables ([[{key}]]), got {show_value(value)}")
        return []
    rows = []
    for i, row in enumerate(value, start=1):
        where = f"{key}[{i}]"
        if not isinstance(row, dict):
            ck.add(where, f"expected a table, got {show_value(row)}")
            continue
        ck.known_keys(row, where, _KEYS[key])
        rows.append((where, row))
    return rows


def _parse_add(ck: ProblemCollector, where: str, row: Mapping[str, Any]) -> Change | None:
    layer = ck.string(row, "layer", where, "elderly", EDITABLE_LAYERS)
    fid = _id(ck, row, where)
    point = _xy(ck, row, where, _crs(ck, row, where))
    name = ck.string(row, "name", where)
    if layer == "seats":
        seats = ck.number(row, "seats", where, default=1.0)
        if seats is not None and (not seats.is_integer() or seats >= 2**31):
            ck.add(
                join_key(where, "seats"),
                f"expected a whole number of seats (1, 2, 3...), got {show_value(row['seats'])}",
            )
            seats = None
        if point is None or fid is None or seats is None:
            return None
        return AddSeat(fid, point[0], point[1], int(seats or 1), name)
    ftype = None
    if "type" not in row:
        ck.add(join_key(where, "type"), f"missing; give one of {facility_types()}")
    elif isinstance(row["type"], str) and (cat := find_category(ELDERLY_TYPES, row["type"])):
        ftype = cat.code
    else:
        close = [c.code for c in ELDERLY_TYPES if _similar(str(row["type"]), c.code)]
        hint = f'did you mean "{close[0]}"? ' if close else ""
        ck.add(
            join_key(where, "type"),
            f"unknown facility type {show_value(row['type'])}; {hint}expected one of "
            f"{facility_types()}",
        )
    capacity = ck.number(row, "capacity", where)
    if point is None or fid is None or ftype is None:
        return None
    return AddFacility(fid, ftype, point[0], point[1], name, capacity)


def _similar(value: str, code: str) -> bool:
    import difflib

    return bool(difflib.get_close_matches(value.lower(), [code], n=1, cutoff=0.6))


def _id(ck: ProblemCollector, row: Mapping[str, Any], where: str) -> str | None:
    value = row.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if "id" not in row:
        ck.add(join_key(where, "id"), 'missing; give the feature\'s id (e.g. id = "E02")')
        return None
    return ck.string(row, "id", where)


def _parse_profile(ck: ProblemCollector, doc: Mapping[str, Any]) -> ProfileSpec | None:
    if "profile" not in doc:
        return None
    table = ck.table(doc, "profile", "")
    ck.known_keys(table, "profile", _KEYS["profile"])
    base = ck.string(table, "base", "profile", "elderly", BUILTIN_PROFILES) or "elderly"
    speed = ck.number(table, "speed_m_s", "profile")
    penalties = ck.numbers(table, "penalties", "profile") if "penalties" in table else None
    return ProfileSpec("scenario", base, speed, penalties)


def _parse_changes(ck: ProblemCollector, doc: Mapping[str, Any]) -> list[Change | None]:
    changes: list[Change | None] = []
    for where, row in _rows(ck, doc, "add"):
        changes.append(_parse_add(ck, where, row))
    for where, row in _rows(ck, doc, "remove"):
        layer = ck.string(row, "layer", where, "elderly", EDITABLE_LAYERS) or "elderly"
        fid = _id(ck, row, where)
        changes.append(RemoveFacility(fid, layer) if fid is not None else None)
    for where, row in _rows(ck, doc, "move"):
        layer = ck.string(row, "layer", where, "elderly", EDITABLE_LAYERS) or "elderly"
        fid, point = _id(ck, row, where), _xy(ck, row, where, _crs(ck, row, where))
        ok = fid is not None and point is not None
        changes.append(MoveFacility(fid, point[0], point[1], layer) if ok else None)  # type: ignore[arg-type]  # ok checks both
    for where, row in _rows(ck, doc, "close"):
        point = _xy(ck, row, where, _crs(ck, row, where))
        name = ck.string(row, "name", where)
        changes.append(ClosePassage(point[0], point[1], name) if point else None)
    for where, row in _rows(ck, doc, "open"):
        changes.append(_parse_open(ck, where, row))
    return changes


def _pair(value: object) -> tuple[float, float] | None:
    if not isinstance(value, list) or len(value) != 2:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return None
    x, y = float(value[0]), float(value[1])
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None


def _parse_open(ck: ProblemCollector, where: str, row: Mapping[str, Any]) -> Change | None:
    crs = _crs(ck, row, where)
    ends: list[tuple[float, float] | None] = []
    for key in ("from", "to"):
        pair = _pair(row.get(key))
        if pair is None:
            ck.add(join_key(where, key), f"expected [x, y], got {show_value(row.get(key))}")
        elif crs is not None:
            ends.append(_converted(ck, join_key(where, key), pair[0], pair[1], crs))
    name = ck.string(row, "name", where)
    a, b = [*ends, None, None][:2]
    if a is None or b is None:
        return None
    return OpenPassage(a[0], a[1], b[0], b[1], name)


def scenario_from_text(text: str, path: str | Path = "scenario.toml") -> Scenario:
    """Parse and validate scenario TOML ``text`` as if read from ``path``.

    Raises
    ------
    ConfigError
        Listing every problem found, each with its key path (``add[2].type``).
    """
    path = Path(path)
    doc = parse_toml(text, path)
    ck = ProblemCollector(path.resolve().parent)
    ck.known_keys(doc, "", _KEYS[""])
    head = ck.table(doc, "scenario", "")
    ck.known_keys(head, "scenario", _KEYS["scenario"])
    name = ck.string(head, "name", "scenario", default=path.stem) or path.stem
    description = ck.string(head, "description", "scenario", default="") or ""
    changes = _parse_changes(ck, doc)
    profile = _parse_profile(ck, doc)
    if not changes and profile is None and not ck.problems:
        ck.add("", "no change: add [[add]], [[remove]], [[move]], [[close]], [[open]] or [profile]")
    if ck.problems:
        count = len(ck.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  {p}" for p in ck.problems)
        raise ConfigError(f"{path.name}: {count} {noun}:\n{lines}")
    kept = tuple(c for c in changes if c is not None)
    return Scenario(name, kept, profile, description, path)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (see :func:`scenario_from_text`).

    Raises
    ------
    ConfigError
        When the file is missing, not TOML or any key is unknown, mistyped or out of range.
    """
    path = Path(path)
    problem = input_file_problem(path)
    if problem:
        raise ConfigError(f"{path.name}: {problem} (the scenario's .toml file)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    return scenario_from_text(text, path)


def load_scenarios(paths: Sequence[str | Path]) -> list[Scenario]:
    """Read several scenario files, reporting the problems of all of them at once.

    Raises
    ------
    ConfigError
        With every file's problems, one block per file.
    """
    scenarios, problems = [], []
    for path in paths:
        try:
            scenarios.append(load_scenario(path))
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
    names = [s.name for s in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(
            f"scenario names must differ, got {', '.join(twice)} twice; set name under [scenario]"
        )
    return scenarios


# ---- writing TOML -----------------------------------------------------------------------


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else _toml_value(key)


def _change_row(change: Change) -> tuple[str, dict[str, object]]:
    if isinstance(change, AddFacility):
        row: dict[str, object] = {"id": change.id, "type": change.type}
        row.update({"name": change.name} if change.name is not None else {})
        row.update({"capacity": change.capacity} if change.capacity is not None else {})
        return "add", {**row, "x": change.lon, "y": change.lat}
    if isinstance(change, AddSeat):
        row = {"layer": "seats", "id": change.id, "seats": change.seats}
        row.update({"name": change.name} if change.name is not None else {})
        return "add", {**row, "x": change.lon, "y": change.lat}
    if isinstance(change, RemoveFacility):
        return "remove", {"layer": change.layer, "id": change.id}
    if isinstance(change, MoveFacility):
        return "move", {"layer": change.layer, "id": change.id, "x": change.lon, "y": change.lat}
    if isinstance(change, ClosePassage):
        row = {"x": change.lon, "y": change.lat}
        return "close", {**row, "name": change.name} if change.name is not None else row
    row = {"from": [change.from_lon, change.from_lat], "to": [change.to_lon, change.to_lat]}
    return "open", {**row, "name": change.name} if change.name is not None else row


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as TOML that :func:`scenario_from_text` reads back (WGS-84 coordinates)."""
    lines = ["# lifecircle scenario: coordinates are WGS-84 longitude (x) and latitude (y)."]
    lines += ["[scenario]", f"name = {_toml_value(scenario.name)}"]
    if scenario.description:
        lines.append(f"description = {_toml_value(scenario.description)}")
    for change in scenario.changes:
        table, row = _change_row(change)
        lines += ["", f"[[{table}]]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in row.items()]
    if scenario.profile is not None:
        spec = scenario.profile
        lines += ["", "[profile]", f"base = {_toml_value(spec.base)}"]
        if spec.speed_m_s is not None:
            lines.append(f"speed_m_s = {_toml_value(spec.speed_m_s)}")
        if spec.penalties is not None:
            lines.append(f"penalties = {_toml_value(dict(spec.penalties))}")
    return "\n".join(lines) + "\n"
