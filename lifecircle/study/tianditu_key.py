"""The Tianditu key of a study: from the environment or ``[outputs] tianditu_key``.

The key is checked where it is read (the study file) and again where it is used (a map or
report with the Tianditu basemap), so a bad key fails before any analysis runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol

from lifecircle.errors import ConfigError
from lifecircle.maps.basemaps import is_tianditu_key
from lifecircle.study.config_problems import ProblemCollector

__all__ = ["TIANDITU_KEY_ENV", "parse_tianditu_key", "resolve_tianditu_key"]


class KeyedStudy(Protocol):
    """What the key lookup needs of a :class:`~lifecircle.study.config.Study`."""

    @property
    def label(self) -> str: ...

    @property
    def tianditu_key(self) -> str | None: ...


#: Environment variable holding the Tianditu key (keeps the key out of the study file).
TIANDITU_KEY_ENV = "LIFECIRCLE_TIANDITU_KEY"
_GET_KEY = "get one at https://console.tianditu.gov.cn"


def _key_problem(key: str) -> str | None:
    if is_tianditu_key(key):
        return None
    return "a Tianditu key is letters and digits only (copy it again from the Tianditu console)"


def parse_tianditu_key(ck: ProblemCollector, outputs: Mapping[str, Any]) -> str | None:
    key = ck.string(outputs, "tianditu_key", "outputs")
    problem = _key_problem(key.strip()) if key else None
    if problem:
        ck.add("outputs.tianditu_key", problem)
        return None
    return key.strip() if key else None


def resolve_tianditu_key(study: KeyedStudy, basemap: str | None) -> str | None:
    """Return the Tianditu key for ``basemap`` (``None`` unless it is ``"tianditu"``).

    The environment variable ``LIFECIRCLE_TIANDITU_KEY`` wins over ``[outputs]
    tianditu_key`` (so a key need not be committed with the study).

    Raises
    ------
    ConfigError
        When the basemap is Tianditu and no usable key is given.
    """
    if basemap != "tianditu":
        return None
    env = os.environ.get(TIANDITU_KEY_ENV, "").strip()
    key = env or study.tianditu_key
    if not key:
        raise ConfigError(
            f"{study.label}: the Tianditu basemap needs a key: set the environment variable "
            f'{TIANDITU_KEY_ENV}, or write tianditu_key = "..." under [outputs] ({_GET_KEY}); '
            'or use basemap = "osm" or "none"'
        )
    problem = _key_problem(key)
    if problem:
        where = f"the environment variable {TIANDITU_KEY_ENV}" if env else "outputs.tianditu_key"
        raise ConfigError(f"{study.label}: {where}: {problem}")
    return key
