"""Facility siting: where new stations go with the existing ones kept
(:func:`suggest_facilities`), its settings (:class:`SitingOptions`), the problem the
placement core solves and the explanation of each suggested site.

Depends on the measures above it in :mod:`lifecircle.coverage.measures` (demand points,
service coverage), on :mod:`lifecircle.coverage.placement` and on
:mod:`lifecircle.coverage.routing`.
"""

from lifecircle.coverage.measures.siting.facility_siting import (
    FacilitySuggestions,
    suggest_facilities,
)
from lifecircle.coverage.measures.siting.siting_options import SitingOptions

__all__ = ["FacilitySuggestions", "SitingOptions", "suggest_facilities"]
