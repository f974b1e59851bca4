"""Service catalogues of Chinese planning standards (15-minute life-circle presets).

>>> from lifecircle.coverage.presets import load_preset, preset_names
>>> preset_names()
('gb50180_2018', 'shanghai_2016')
>>> load_preset("gb50180_2018").walk_limit_m("primary_school")
500.0

See :mod:`lifecircle.coverage.presets.catalogue` and ``docs/presets.md`` for every figure and
its source.
"""

from lifecircle.coverage.presets.catalogue import (
    STATUSES,
    TIERS,
    ServiceCatalogue,
    ServiceCategory,
    TierDistance,
    catalogue_from_file,
    category_for_name,
    category_for_osm_tags,
    load_preset,
    preset_names,
)

__all__ = [
    "STATUSES",
    "TIERS",
    "ServiceCatalogue",
    "ServiceCategory",
    "TierDistance",
    "catalogue_from_file",
    "category_for_name",
    "category_for_osm_tags",
    "load_preset",
    "preset_names",
]
