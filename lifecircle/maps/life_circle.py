"""The 15-minute life circle on the map and in the report: what each grid is missing, equity.

Maps know nothing of :mod:`lifecircle.coverage`: everything here reads plain data through
the :class:`~lifecircle.maps.contracts.LifeCircleFigures` protocol (a ``LifeCircleResult``
satisfies it) —
a grids frame with ``completeness`` and ``missing_zh``/``missing_en``, a categories frame
and an equity summary with a Lorenz curve.

- :func:`life_circle_layer`: the smallest grids coloured by completeness, each with a
  tooltip listing the categories it misses (escaped like every other tooltip);
- :func:`life_circle_section_html`: the report's "生活圈完整度 / life-circle completeness"
  and "公平性 / equity" sections, with a static Lorenz curve (matplotlib PNG, Chinese
  labels with the CJK font of :mod:`lifecircle.maps.static`, English without one).
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from collections.abc import Mapping

import jinja2
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lifecircle.maps.basemaps import to_display
from lifecircle.maps.contracts import LifeCircleFigures
from lifecircle.maps.labels import check_lang, vocab_label
from lifecircle.maps.overlays import (
    GeoJsonOverlay,
    leaf_frame,
    percent,
    tip_html,
    to_features,
    whole_residents,
)

__all__ = [
    "COMPLETENESS_CLASSES",
    "life_circle_layer",
    "life_circle_legend",
    "life_circle_section_html",
    "lorenz_png",
]

#: Completeness classes (lower bound, colour, zh, en), best first; colours from ColorBrewer
#: RdYlGn (colour-blind safe enough with the tooltip text).
COMPLETENESS_CLASSES: tuple[tuple[float, str, str, str], ...] = (
    (1.0, "#1a9850", "完整（100%）", "complete (100%)"),
    (0.75, "#91cf60", "75–99%", "75–99%"),
    (0.5, "#fee08b", "50–74%", "50–74%"),
    (0.25, "#fc8d59", "25–49%", "25–49%"),
    (0.0, "#d73027", "0–24%", "0–24%"),
)
_NO_DATA = "#bdbdbd"

_TEXT: Mapping[str, tuple[str, str]] = {
    "layer": ("生活圈完整度（{preset}）", "Life-circle completeness ({preset})"),
    "completeness": ("完整度", "completeness"),
    "met": ("达标类别", "categories met"),
    "missing": ("缺少", "missing"),
    "nothing_missing": ("无", "nothing"),
    "residents": ("居民", "residents"),
    "level": ("层级", "level"),
    "h_completeness": ("生活圈完整度", "Life-circle completeness"),
    "h_equity": ("公平性", "Equity"),
    "intro": (
        "按《{document}》{title}，每类设施以步行距离（米，沿步行网络）衡量："
        "某网格至少 {share} 的居民在该类设施的限值内步行可达，即为该类达标；"
        "完整度为达标类别占评估类别的比例。",
        "Against {document} ({title}): a grid meets a category when at least {share} of its "
        "residents walk to one of its facilities within the category's limit (metres along "
        "the walking network); completeness is the share of the evaluated categories met.",
    ),
    "c_category": ("设施类别", "category"),
    "c_tier": ("生活圈", "life circle"),
    "c_limit": ("步行限值", "walking limit"),
    "c_facilities": ("设施数", "facilities"),
    "c_share": ("可达居民比例", "residents within the limit"),
    "c_grids": ("达标网格", "grids meeting it"),
    "tier": ("{minutes} 分钟", "{minutes} min"),
    "not_evaluated": ("未评估：标准未给出距离", "not evaluated: no sourced distance"),
    "l_level": ("层级", "level"),
    "l_grids": ("网格数", "grids"),
    "l_mean": ("平均完整度", "mean completeness"),
    "l_lowest": ("最低", "lowest"),
    "l_complete": ("完整网格", "complete grids"),
    "equity_intro": (
        "以下指标描述每位居民的完整度（其步行可达的类别占比）在居民之间的分布。"
        "基尼系数 0 表示人人相同，越接近 1 越不均；帕尔马比值为最好 10% 与最差 40% "
        "居民所占份额之比；泰尔指数 0 表示均等。",
        "These indices describe how each resident's completeness (the share of categories "
        "they reach in time) is spread across residents. Gini: 0 = everyone equal, towards "
        "1 = very unequal; Palma ratio: the share held by the best-served 10% over that of "
        "the worst-served 40%; Theil T: 0 = equal.",
    ),
    "gini": ("基尼系数", "Gini"),
    "palma": ("帕尔马比值", "Palma ratio"),
    "theil": ("泰尔指数", "Theil T"),
    "worst": (
        "最差 10% 居民中老年人占 {share}（全体中占 {overall}）。",
        "Older residents are {share} of the worst-served 10% ({overall} of everyone).",
    ),
    "no_older": (
        "老年人口：网格图层无老年人口列，无法计算最差 10% 居民中的老年人比例；"
        "以上指标针对全体居民。",
        "Older residents: the grids layer has no older-residents column, so their share among "
        "the worst-served 10% cannot be given; the indices describe all residents.",
    ),
    "lorenz_title": ("洛伦兹曲线：居民完整度", "Lorenz curve of residents' completeness"),
    "lorenz_x": ("居民累计比例（按完整度由低到高）", "cumulative share of residents (worst first)"),
    "lorenz_y": ("完整度累计份额", "cumulative share of completeness"),
    "equality": ("完全均等", "perfect equality"),
    "lorenz_alt": ("洛伦兹曲线", "Lorenz curve"),
}


def _t(key: str, lang: str, **fields: object) -> str:
    zh, en = _TEXT[key]
    template = zh if lang == "zh" else en
    return template.format(**fields) if fields else template


def completeness_colour(value: object) -> str:
    """The class colour of a completeness share (grey when there is none)."""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number):
        return _NO_DATA
    for low, colour, _zh, _en in COMPLETENESS_CLASSES:
        if float(number) >= low - 1e-9:
            return colour
    return COMPLETENESS_CLASSES[-1][1]


def life_circle_layer(
    life_circle: LifeCircleFigures,
    *,
    lang: str = "zh",
    show: bool = False,
    basemap: str | None = None,
) -> GeoJsonOverlay:
    """The smallest grids coloured by completeness, with a "what is missing" tooltip.

    Parameters
    ----------
    life_circle : LifeCircleFigures
        E.g. a ``LifeCircleResult``; its grids must be in display coordinates.
    lang : {"zh", "en"}
        Tooltip and layer-name language.
    show : bool, default False
        Whether the layer is on when the map opens.
    basemap : str, optional
        The map's basemap (``"amap"`` shifts the grids into GCJ-02 for display).
    """
    check_lang(lang)
    frame = leaf_frame(life_circle.grids)
    missing_col = "missing_zh" if lang == "zh" else "missing_en"
    props = []
    for _, row in frame.iterrows():
        missing = row.get(missing_col)
        weight = pd.to_numeric(pd.Series([row.get("weight")]), errors="coerce").iloc[0]
        lacking = str(missing) if isinstance(missing, str) and missing else ""
        rows = [
            (_t("level", lang), vocab_label("grid_level", row.get("level"), lang)),
            (_t("completeness", lang), percent(row.get("completeness"))),
            (_t("met", lang), f"{row.get('n_met', 0)} / {row.get('n_evaluated', 0)}"),
            (_t("residents", lang), whole_residents(row.get("weight"))),
        ]
        if not pd.isna(weight) and weight > 0:
            rows.append((_t("missing", lang), lacking or _t("nothing_missing", lang)))
        colour = completeness_colour(row.get("completeness"))
        props.append(
            {"_style": {"fillColor": colour}, "_tip": tip_html(row.get("name"), rows, lang)}
        )
    name = _t("layer", lang, preset=life_circle.catalogue.document)
    base = {"color": "#ffffff", "weight": 1, "fillOpacity": 0.72, "opacity": 1}
    shown = to_display(frame.to_crs(4326), basemap)
    return GeoJsonOverlay(to_features(shown, props), name, base_style=base, show=show)


def life_circle_legend(
    life_circle: LifeCircleFigures, lang: str
) -> tuple[str, list[tuple[str, str]]]:
    """The legend block of the life-circle layer: a heading and ``(colour, label)`` rows."""
    heading = _t("layer", lang, preset=life_circle.catalogue.document)
    rows = [(colour, zh if lang == "zh" else en) for _, colour, zh, en in COMPLETENESS_CLASSES]
    rows.append((_NO_DATA, "无居民" if lang == "zh" else "no residents"))
    return heading, rows


def lorenz_png(life_circle: LifeCircleFigures, *, lang: str = "zh", dpi: int = 110) -> bytes:
    """A static Lorenz curve of the residents' completeness (PNG bytes), labelled in ``lang``.

    Chinese labels need a CJK font (:func:`lifecircle.maps.static.find_cjk_font`); without
    one the labels are English, with the :class:`~lifecircle.maps.static.FontWarning` of the
    static map.
    """
    from lifecircle.maps.static import FontWarning, find_cjk_font

    check_lang(lang)
    font = find_cjk_font()
    if lang == "zh" and font is None:
        warnings.warn(
            "no CJK font found (install fonts-noto-cjk or fonts-wqy-microhei); the Lorenz "
            "curve is labelled in English",
            FontWarning,
            stacklevel=2,
        )
        lang = "en"
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    curve = life_circle.equity.lorenz
    fig = Figure(figsize=(4.6, 4.0), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(
        [0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label=_t("equality", lang)
    )
    ax.plot(
        np.asarray(curve.population_share),
        np.asarray(curve.access_share),
        color="#2166ac",
        linewidth=2,
        label=f"{_t('gini', lang)} {_fmt(life_circle.equity.gini)}",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_title(_t("lorenz_title", lang), fontsize=10, fontfamily=families)
    ax.set_xlabel(_t("lorenz_x", lang), fontsize=8, fontfamily=families)
    ax.set_ylabel(_t("lorenz_y", lang), fontsize=8, fontfamily=families)
    ax.tick_params(labelsize=7)
    ax.legend(loc="upper left", fontsize=7, prop={"family": families, "size": 7})
    fig.tight_layout()
    buffer = io.BytesIO()
    # a fixed Software tag and no date: the same curve gives the same bytes
    fig.savefig(buffer, format="png", metadata={"Software": "lifecircle"})
    return buffer.getvalue()


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "∞" if math.isinf(value) else f"{value:.2f}"


_SECTION = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<style>
.lc-life-circle table, .lc-equity table { border-collapse: collapse; margin: 0.6em 0; }
.lc-life-circle th, .lc-life-circle td { border-bottom: 1px solid #ddd; padding: 2px 8px; }
.lc-lorenz { max-width: 100%; width: 420px; }
</style>
<section class="lc-life-circle">
<h2>{{ h_completeness }}</h2>
<p>{{ intro }}</p>
{% for columns, rows in tables %}<table class="lc-table">
<thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for r in rows %}<tr>{% for v in r %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% endfor %}
</section>
<section class="lc-equity">
<h2>{{ h_equity }}</h2>
<p>{{ equity_intro }}</p>
<ul>{% for label, value in indices %}<li>{{ label }}: {{ value }}</li>{% endfor %}</ul>
<p>{{ older }}</p>
{% if lorenz %}<img class="lc-lorenz" alt="{{ lorenz_alt }}" src="{{ lorenz }}">{% endif %}
</section>
"""
)


def life_circle_section_html(
    life_circle: LifeCircleFigures, *, lang: str = "zh", lorenz: bool = True
) -> str:
    """The report's life-circle completeness and equity sections (escaped HTML).

    Parameters
    ----------
    life_circle : LifeCircleFigures
        E.g. a ``LifeCircleResult``.
    lang : {"zh", "en"}
        Language of the sections.
    lorenz : bool, default True
        Embed the Lorenz curve as a PNG ``data:`` URI.
    """
    check_lang(lang)
    catalogue = life_circle.catalogue
    share = percent(life_circle.params.get("met_share", 0.9))
    title = catalogue.title_zh if lang == "zh" else catalogue.title_en
    grids = pd.DataFrame(life_circle.grids.drop(columns="geometry", errors="ignore"))
    populated = grids[pd.to_numeric(grids["weight"], errors="coerce").fillna(0) > 0]
    level_rows = []
    for level in ("subdistrict", "area", "microgrid"):
        rows = populated[populated["level"] == level]
        if rows.empty:
            continue
        values = pd.to_numeric(rows["completeness"], errors="coerce")
        level_rows.append(
            [
                vocab_label("grid_level", level, lang),
                str(len(rows)),
                percent(values.mean()),
                percent(values.min()),
                str(int((values >= 1 - 1e-9).sum())),
            ]
        )
    leaves = populated[populated["is_leaf"].astype(bool)] if "is_leaf" in populated else populated
    category_rows = [
        _category_row(row, leaves, lang) for _, row in life_circle.categories.iterrows()
    ]
    level_keys = ("l_level", "l_grids", "l_mean", "l_lowest", "l_complete")
    level_columns = [_t(k, lang) for k in level_keys]
    category_keys = ("c_category", "c_tier", "c_limit", "c_facilities", "c_share", "c_grids")
    category_columns = [_t(k, lang) for k in category_keys]
    equity = life_circle.equity
    worst = equity.worst_served
    older = (
        _t(
            "worst",
            lang,
            share=percent(getattr(worst, "subgroup_share", None)),
            overall=percent(getattr(worst, "overall_share", None)),
        )
        if worst is not None
        else _t("no_older", lang)
    )
    png = None
    if lorenz:
        png = "data:image/png;base64," + base64.b64encode(
            lorenz_png(life_circle, lang=lang)
        ).decode("ascii")
    return _SECTION.render(
        h_completeness=_t("h_completeness", lang),
        intro=_t("intro", lang, document=catalogue.document, title=title, share=share),
        tables=[(level_columns, level_rows), (category_columns, category_rows)],
        h_equity=_t("h_equity", lang),
        equity_intro=_t("equity_intro", lang),
        indices=[
            (_t("gini", lang), _fmt(equity.gini)),
            (_t("palma", lang), _fmt(equity.palma)),
            (_t("theil", lang), _fmt(equity.theil)),
        ],
        older=older,
        lorenz=png,
        lorenz_alt=_t("lorenz_alt", lang),
    )


def _category_row(row: pd.Series, leaves: pd.DataFrame, lang: str) -> list[str]:
    """One row of the categories table: how many populated leaf grids meet it."""
    name = str(row["name_zh"] if lang == "zh" else row["name_en"])
    tier = row.get("tier")
    tier_text = "–" if tier is None or pd.isna(tier) else _t("tier", lang, minutes=int(tier))
    if not bool(row.get("evaluated")):
        return [
            name,
            tier_text,
            _t("not_evaluated", lang),
            str(row.get("n_facilities", 0)),
            "–",
            "–",
        ]
    met = f"met_{row['code']}"
    n_met = int(leaves[met].astype(bool).sum()) if met in leaves else 0
    return [
        name,
        tier_text,
        f"{float(row['limit_m']):,.0f} m",
        str(int(row.get("n_facilities", 0))),
        percent(row.get("share")),
        f"{n_met} / {len(leaves)}",
    ]
