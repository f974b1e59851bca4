"""Public exception and warning hierarchy.

Every error a user can cause is a :class:`LifecircleError`. Value problems also
derive from :class:`ValueError` so generic ``except ValueError`` code keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CRSError",
    "ConfigError",
    "CoordinateWarning",
    "GeometryWarning",
    "InfeasibleError",
    "LayerError",
    "LifecircleError",
    "LifecircleWarning",
    "NetworkError",
]


class LifecircleError(Exception):
    """Base class of every error raised on purpose by lifecircle."""


class LayerError(LifecircleError, ValueError):
    """A layer file or frame is unusable; the message lists every problem found.

    Parameters
    ----------
    source : str
        The file name (or ``"<DataFrame>"``) the problems were found in.
    problems : sequence of str
        One human-readable sentence per problem (feature/row, column, value, expectation).
    """

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source}: {count} {noun}: " + "; ".join(self.problems))


class CRSError(LifecircleError, ValueError):
    """A coordinate reference system is missing, unknown or inconsistent with the data."""


class NetworkError(LifecircleError, ValueError):
    """A walking network cannot be built or used (no walkable ways, unreadable file...)."""


class ConfigError(LifecircleError, ValueError):
    """A study configuration file is invalid."""


class InfeasibleError(LifecircleError, RuntimeError):
    """An optimisation problem has no solution that satisfies its constraints."""


class LifecircleWarning(UserWarning):
    """Base class of lifecircle's warnings."""


class CoordinateWarning(LifecircleWarning):
    """Coordinates look suspicious (swapped axes, datum offset, far from the other layers)."""


class GeometryWarning(LifecircleWarning):
    """An invalid geometry was repaired (``shapely.make_valid``) with little change in area."""
