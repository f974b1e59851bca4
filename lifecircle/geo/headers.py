"""Match source headers to a layer's canonical columns.

Headers are compared by a *key*: Unicode NFKC (so full-width ``ｌｏｎ`` and ``座位数``
typed with a full-width space match), lower case, without a byte-order mark, white
space, ``_`` or ``-``. An explicit ``columns=`` mapping wins; otherwise the first
header matching the canonical name or one of its synonyms (in the order of
:mod:`lifecircle.geo.schema`) is used.

Two source columns that would both fill one canonical column (two ``座位数`` columns,
or ``名称`` and ``name``) are found by :func:`rival_headers`; the validator reports
them when their values differ instead of silently picking one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from lifecircle.errors import Fix, Problem
from lifecircle.geo.schema import LAYER_SCHEMAS, LayerSchema

__all__ = ["match_columns", "normalise_header", "rival_headers"]

#: pandas renames the second of two equal headers ``"座位数"`` to ``"座位数.1"``.
_MANGLED = re.compile(r"^(?P<base>.+)\.(?P<n>[1-9][0-9]*)$")


#: Traditional forms (Big5 files from Taiwan/Hong Kong systems) of the characters in the
#: Chinese synonyms, so 經度/緯度/名稱/編號/座位數 match like 经度/纬度/名称/编号/座位数.
_TRADITIONAL = str.maketrans(
    "東務帶層護數類級緯經編網規設質電碼稱號屬戶點別",
    "东务带层护数类级纬经编网规设质电码称号属户点别",
)


def normalise_header(header: object) -> str:
    """Return the matching key of a column header.

    Applies Unicode NFKC (full-width letters become ASCII), lower-cases, strips a
    byte-order mark, removes white space, ``_`` and ``-`` and writes the traditional
    characters of the Chinese synonyms in their simplified form, so ``"Seat Count"``,
    ``"seat_count"``, ``" SEAT-COUNT "`` and ``"ｓｅａｔ　ｃｏｕｎｔ"`` all match.
    """
    text = unicodedata.normalize("NFKC", str(header).replace("\ufeff", ""))
    return re.sub(r"[\s_\-]+", "", text.lower()).translate(_TRADITIONAL)


def layer_schema(layer: str | LayerSchema) -> LayerSchema:
    """The schema of ``layer`` (a name such as ``"seats"`` or a schema)."""
    if isinstance(layer, LayerSchema):
        return layer
    try:
        return LAYER_SCHEMAS[layer]
    except KeyError:
        raise ValueError(
            f"unknown layer {layer!r}; expected one of {', '.join(LAYER_SCHEMAS)}"
        ) from None


def list_headers(headers: Sequence[object]) -> str:
    """``'a', 'b'`` (or ``none``) for messages; ``geometry`` is left out."""
    shown = [repr(str(h)) for h in headers if str(h) != "geometry"]
    return ", ".join(shown) if shown else "none"


def match_columns(
    headers: Sequence[object],
    layer: str | LayerSchema,
    *,
    columns: Mapping[str, str] | None = None,
) -> tuple[dict[object, str], list[str]]:
    """Match source headers to the canonical columns of ``layer``.

    Parameters
    ----------
    headers : sequence
        The source column names.
    layer : str or LayerSchema
        ``"grids"``, ``"seats"``... or a schema.
    columns : mapping, optional
        Explicit ``{source header: canonical name}`` for unusual headers; wins over
        the synonyms.

    Returns
    -------
    mapping : dict
        ``{source header: canonical name}`` for every matched header.
    problems : list of str
        Problems with ``columns=`` (unknown header or canonical name).
    """
    schema = layer_schema(layer)
    mapping: dict[object, str] = {}
    problems: list[str] = []
    by_key: dict[str, object] = {}
    for h in headers:
        by_key.setdefault(normalise_header(h), h)
    sources: dict[str, list[str]] = {}
    for src, canon in (columns or {}).items():
        sources.setdefault(canon, []).append(src)
        if canon not in schema.column_names:
            problems.append(
                f"columns= maps {src!r} to {canon!r}, which is not a column of the "
                f"{schema.layer} layer (expected one of {', '.join(schema.column_names)})"
            )
        elif src in headers:
            mapping[src] = canon
        elif normalise_header(src) in by_key:
            mapping[by_key[normalise_header(src)]] = canon
        else:
            problems.append(
                f"columns= names header {src!r}, which is not in the source "
                f"(columns: {list_headers(headers)})"
            )
    for canon, srcs in sources.items():
        if len(srcs) > 1 and canon in schema.column_names:
            problems.append(
                f"columns= maps {' and '.join(repr(s) for s in srcs)} all to {canon!r}; "
                f"map one header to {canon!r}"
            )
    for spec in schema.columns:
        if spec.name in mapping.values():
            continue
        for alias in (spec.name, *spec.aliases):
            header = by_key.get(normalise_header(alias))
            if header is not None and header not in mapping:
                mapping[header] = spec.name
                break
    return mapping, problems


def rival_headers(
    headers: Sequence[object],
    layer: str | LayerSchema,
    mapping: Mapping[object, str],
    *,
    columns: Mapping[str, str] | None = None,
) -> dict[str, list[object]]:
    """Other source columns that would fill a canonical column chosen by synonym.

    Parameters
    ----------
    headers : sequence
        The source column names.
    layer : str or LayerSchema
        The layer.
    mapping : mapping
        The result of :func:`match_columns`.
    columns : mapping, optional
        The explicit mapping; canonical columns named there have no rivals.

    Returns
    -------
    dict
        ``{canonical name: [chosen header, rival header, ...]}`` for every canonical
        column that more than one source column matches: an equal header (``座位数``
        and ``座位数.1``, as pandas names a repeated header) or another synonym
        (``名称`` and ``name``).
    """
    schema = layer_schema(layer)
    explicit = set((columns or {}).values())
    chosen = {canon: header for header, canon in mapping.items()}
    present = {str(h) for h in headers}
    out: dict[str, list[object]] = {}
    for spec in schema.columns:
        header = chosen.get(spec.name)
        if header is None or spec.name in explicit:
            continue
        keys = {normalise_header(a) for a in (spec.name, *spec.aliases)}
        rivals = []
        for h in headers:
            if h == header or h in mapping:
                continue
            mangled = _MANGLED.match(str(h))
            base = mangled["base"] if mangled and mangled["base"] in present else str(h)
            if normalise_header(base) in keys:
                rivals.append(h)
        if rivals:
            out[spec.name] = [header, *rivals]
    return out


def explicit_fix(header: object, canon: str) -> Fix:
    """The fix that maps ``header`` to ``canon`` explicitly."""
    return Fix((("columns", {str(header): canon}),))


def rival_problem(canon: str, headers: Sequence[object], row: str) -> Problem:
    """The problem for columns that all read as ``canon`` but disagree (first at ``row``)."""
    names = " and ".join(repr(str(h)) for h in headers)
    same = all(_MANGLED.match(str(h)) for h in headers[1:])
    what = (
        f"the file has {len(headers)} columns named {str(headers[0])!r}"
        if same
        else f"columns {names} would all be read as {canon}"
    )
    return Problem(
        f"{what} and their values differ (first at {row}); keep one, or choose it with ",
        explicit_fix(headers[0], canon),
    )
