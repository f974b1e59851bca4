"""Loading and validating planning layers; coordinate systems (incl. GCJ-02 / BD-09)."""

__all__: list[str] = []
