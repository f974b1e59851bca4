"""Walking network, reachability, coverage metrics and seat placement."""

from lifecircle.coverage.network import WalkNetwork

__all__ = ["WalkNetwork"]
