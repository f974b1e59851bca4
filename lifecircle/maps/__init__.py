"""Folium maps and committee reports."""

__all__: list[str] = []
