"""Pickling for the walking graph and profile that results keep (:func:`allow_routing_pickles`).

A :class:`~lifecircle.coverage.CoverageResult` keeps its walking graph (for per-facility
isochrones) and the what-if states keep theirs; both graphs hold a
:class:`~lifecircle.coverage.routing.profiles.WalkProfile` or are a
:class:`~lifecircle.coverage.routing.incremental.SiteGraph`, whose read-only tables are
``types.MappingProxyType`` — which :mod:`pickle` refuses. Registered here (for these two
lifecircle classes only, through :mod:`copyreg`), they pickle with each proxy as a plain
dict and come back with the proxies restored, unchanged otherwise; so results can go to other
processes (``multiprocessing``, joblib, dask) and be saved with :mod:`pickle`.
"""

from __future__ import annotations

import copyreg
from types import MappingProxyType
from typing import Any

from lifecircle.coverage.routing.incremental import SiteGraph
from lifecircle.coverage.routing.profiles import WalkProfile

__all__ = ["allow_routing_pickles", "rebuild_with_proxies", "reduce_with_proxies"]


def reduce_with_proxies(
    obj: object,
) -> tuple[Any, tuple[type, dict[str, Any], tuple[str, ...]]]:
    """``obj``'s class and attributes, each read-only mapping given as a dict (named too)."""
    state = dict(vars(obj))
    proxies = tuple(k for k, v in state.items() if isinstance(v, MappingProxyType))
    for key in proxies:
        state[key] = dict(state[key])
    return rebuild_with_proxies, (type(obj), state, proxies)


def rebuild_with_proxies(kind: type, state: dict[str, Any], proxies: tuple[str, ...]) -> object:
    """The object :func:`reduce_with_proxies` took apart (its ``__init__`` is not run)."""
    obj: object = object.__new__(kind)
    for key, value in state.items():
        object.__setattr__(obj, key, MappingProxyType(value) if key in proxies else value)
    return obj


def allow_routing_pickles() -> None:
    """Let :mod:`pickle` take walking profiles and site graphs (idempotent)."""
    for kind in (WalkProfile, SiteGraph):
        copyreg.pickle(kind, reduce_with_proxies)
