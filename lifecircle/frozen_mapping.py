"""A read-only mapping that pickles: :class:`FrozenMapping`.

The results a planner keeps (``CoverageResult.params``, ``LifeCircleResult.params``, the
what-if states' records, the walking profile's penalties and the site graph's tables they
carry) hold mappings nobody should edit after the analysis. A
``types.MappingProxyType`` says so, but cannot be pickled, so a result holding one cannot be
sent to another process (``multiprocessing``, joblib, dask) nor saved with :mod:`pickle`.
:class:`FrozenMapping` reads like a dict, refuses every edit like a mapping proxy, and
pickles as the dict it copies.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NoReturn, TypeVar

__all__ = ["FrozenMapping"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenMapping(Mapping[K, V]):
    """A read-only copy of a mapping, which pickles (unlike ``types.MappingProxyType``).

    Parameters
    ----------
    data : mapping, optional
        Copied (a shallow copy: the values themselves are not frozen).

    Examples
    --------
    >>> import pickle
    >>> params = FrozenMapping({"walk_minutes": 15.0})
    >>> params["walk_minutes"]
    15.0
    >>> pickle.loads(pickle.dumps(params)) == {"walk_minutes": 15.0}
    True
    >>> params["walk_minutes"] = 10.0
    Traceback (most recent call last):
    ...
    TypeError: 'FrozenMapping' object does not support item assignment
    """

    __slots__ = ("_data",)
    _data: dict[K, V]

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __setitem__(self, key: K, value: V) -> NoReturn:
        raise TypeError(f"'{type(self).__name__}' object does not support item assignment")

    def __delitem__(self, key: K) -> NoReturn:
        raise TypeError(f"'{type(self).__name__}' object does not support item deletion")

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"'{type(self).__name__}' object is read-only")

    def __reduce__(self) -> tuple[type[FrozenMapping[K, V]], tuple[dict[K, V]]]:
        return type(self), (dict(self._data),)

    def __or__(self, other: Mapping[Any, Any]) -> dict[Any, Any]:
        """A new dict: this mapping's items updated with ``other``'s (as a mapping proxy)."""
        return {**self._data, **other}

    def copy(self) -> dict[K, V]:
        """A (shallow) dict copy, as ``MappingProxyType.copy``."""
        return dict(self._data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"
