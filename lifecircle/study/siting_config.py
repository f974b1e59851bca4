"""The study file's ``[siting]`` table: where new facilities should go (``lifecircle suggest``).

::

    [siting]
    service = "elderly"          # one of the study's services
    sites = 2                    # how many new sites
    objective = "covering"       # covering | total | worst
    candidates = "vacant-units.geojson"   # or { path, crs, layer }; default: buildings
    heritage_buffer_m = 5
    exclude_conservation = true
    capacity = 200               # residents one new site can serve (covering only)

Every option is checked by
:class:`~lifecircle.coverage.measures.siting.siting_options.SitingOptions` (the one place it
is checked) and reported under its ``siting.`` key, with every other problem of the study
file at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lifecircle.errors import OptionError, OptionTypeError
from lifecircle.study.config_problems import ProblemCollector, show_value

if TYPE_CHECKING:
    from pathlib import Path

    from lifecircle.coverage.measures.siting.siting_options import SitingOptions

__all__ = ["SITING_KEYS", "SitingSpec", "parse_siting"]

#: Keys of ``[siting]`` besides the options of ``SitingOptions``.
_OWN_KEYS = ("service", "sites", "candidates")
_CANDIDATE_KEYS = ("path", "crs", "layer")


def _option_keys() -> tuple[str, ...]:
    from lifecircle.coverage.measures.siting.siting_options import SitingOptions

    return tuple(f.name for f in dataclasses.fields(SitingOptions))


#: Every key ``[siting]`` accepts.
SITING_KEYS = (*_OWN_KEYS, *_option_keys())


@dataclass(frozen=True)
class SitingSpec:
    """The study's siting question: service, number of sites, candidate layer, options."""

    service: str
    sites: int
    options: SitingOptions
    candidates: Path | None = None
    candidates_crs: str | int | None = None
    candidates_layer: str | None = None


def parse_siting(
    ck: ProblemCollector, doc: Mapping[str, Any], services: Mapping[str, object]
) -> SitingSpec | None:
    """``[siting]`` as a :class:`SitingSpec` (``None`` when the study has none)."""
    from lifecircle.coverage.measures.siting.siting_options import SitingOptions

    if "siting" not in doc:
        return None
    table = ck.table(doc, "siting", "")
    ck.known_keys(table, "siting", SITING_KEYS)
    service = table.get("service", "elderly")
    if not isinstance(service, str) or service not in services:
        ck.add(
            "siting.service",
            f"unknown service {show_value(service)}; expected one of {', '.join(services)}",
        )
    sites = table.get("sites", 2)
    if isinstance(sites, bool) or not isinstance(sites, int) or sites < 1:
        ck.add("siting.sites", f"expected a whole number >= 1, got {show_value(sites)}")
        sites = 2
    values = {k: v for k, v in table.items() if k in _option_keys()}
    options = SitingOptions()
    for key, value in values.items():  # each alone, so every bad key is reported
        try:
            SitingOptions(**{key: value})
        except (OptionError, OptionTypeError) as exc:
            if exc.option == key:
                ck.problem(f"siting.{key}", exc)
                values = {k: v for k, v in values.items() if k != key}
    try:
        options = SitingOptions(**values)
    except (OptionError, OptionTypeError) as exc:
        ck.add(f"siting.{exc.option}", str(exc))
    spec = SitingSpec(str(service), int(sites), options)
    return _with_candidates(ck, table.get("candidates"), spec)


def _with_candidates(ck: ProblemCollector, value: object, spec: SitingSpec) -> SitingSpec:
    """``candidates = "file"`` or ``{ path, crs, layer }``."""
    where = "siting.candidates"
    if value is None:
        return spec
    if isinstance(value, str):
        return dataclasses.replace(spec, candidates=ck.path(value, where))
    if not isinstance(value, dict) or "path" not in value:
        ck.add(where, f"expected a file path or a table with path = ..., got {show_value(value)}")
        return spec
    ck.known_keys(value, where, _CANDIDATE_KEYS)
    crs = value.get("crs")
    if crs is not None and (isinstance(crs, bool) or not isinstance(crs, str | int)):
        ck.add(
            f"{where}.crs", f'expected a CRS such as "EPSG:4326" or "gcj02", got {show_value(crs)}'
        )
        crs = None
    return dataclasses.replace(
        spec,
        candidates=ck.path(value["path"], f"{where}.path"),
        candidates_crs=crs,
        candidates_layer=ck.string(value, "layer", where),
    )
