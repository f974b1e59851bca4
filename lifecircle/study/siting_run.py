"""A study's facility siting: its ``[siting]`` table, overridden by the command line's flags."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from lifecircle.coverage.measures.siting.facility_siting import FacilitySuggestions
    from lifecircle.coverage.network.walk_network import WalkNetwork
    from lifecircle.geo.layers import Layers
    from lifecircle.study.config import Study

__all__ = ["suggest_study_sites"]


def suggest_study_sites(
    study: Study,
    layers: Layers,
    network: WalkNetwork,
    *,
    service: str | None = None,
    sites: int | None = None,
    objective: str | None = None,
    candidates: Path | None = None,
) -> FacilitySuggestions:
    """Suggest new facility sites for ``study`` (``[siting]``, then the arguments given).

    The study's services, walking profile and budget (``[analysis]``) are those of its
    coverage; a candidate file is read with the ``candidates`` layer rules (Chinese or
    English headers, ``crs`` including ``gcj02``/``bd09``).

    Raises
    ------
    lifecircle.errors.ConfigError
        An unknown service (naming the study's).
    """
    from lifecircle.coverage.measures.siting.facility_siting import suggest_facilities
    from lifecircle.coverage.measures.siting.siting_options import SitingOptions
    from lifecircle.errors import ConfigError
    from lifecircle.geo.io import read_layer

    spec = study.siting
    options = spec.options if spec is not None else SitingOptions()
    if objective is not None:
        options = dataclasses.replace(options, objective=objective)
    service = service or (spec.service if spec is not None else "elderly")
    if service not in study.services:
        raise ConfigError(
            f"--service {service}: not a service of {study.label}; expected one of "
            f"{', '.join(study.services)}"
        )
    path, crs, layer = candidates, None, None
    if path is None and spec is not None and spec.candidates is not None:
        path, crs, layer = spec.candidates, spec.candidates_crs, spec.candidates_layer
    frame = None
    if path is not None:
        frame = read_layer(path, "candidates", crs=crs, layer=layer)
        frame = frame.set_index(frame["id"].astype(str))
    k = sites or (spec.sites if spec is not None else 2)
    return suggest_facilities(
        layers,
        network,
        k=k,
        service={service: study.services[service]},
        candidates=frame,
        coverage=study.coverage,
        options=options,
    )
