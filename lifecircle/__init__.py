"""lifecircle: is your neighbourhood a real 15-minute community life circle?

The public API is re-exported here and imported lazily, so ``import lifecircle``
is fast and changes no global state (the package only adds a NullHandler to its
logger).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from lifecircle.errors import (
    ConfigError,
    CoordinateWarning,
    CRSError,
    InfeasibleError,
    LayerError,
    LifecircleError,
    LifecircleWarning,
    NetworkError,
)

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {}

__all__ = [
    "CRSError",
    "ConfigError",
    "CoordinateWarning",
    "InfeasibleError",
    "LayerError",
    "LifecircleError",
    "LifecircleWarning",
    "NetworkError",
    "__version__",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lifecircle' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
