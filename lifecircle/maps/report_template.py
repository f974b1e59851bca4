# ruff: noqa: E501 - HTML template lines are easier to read unwrapped
"""The committee report's Jinja template, stylesheet and sorting script.

Rendered by :mod:`lifecircle.maps.report` with ``autoescape=True``: every value is
HTML-escaped unless marked safe (only the stylesheet and script below, which hold no
user data).
"""

from __future__ import annotations

from lifecircle.maps.style import FONT_STACK

__all__ = ["REPORT_CSS", "REPORT_TEMPLATE", "SORT_JS"]

REPORT_CSS = f"""
:root {{ --ink: #1a1a1a; --muted: #555; --line: #d0d0d0; --bad: #b2182b; --ok: #2166ac; }}
* {{ box-sizing: border-box; }}
body {{ font-family: {FONT_STACK}; color: var(--ink); margin: 0 auto; max-width: 1100px;
  padding: 24px; line-height: 1.5; font-size: 15px; overflow-wrap: break-word; }}
h1 {{ font-size: 26px; margin: 0 0 4px 0; }}
h2 {{ font-size: 20px; margin: 28px 0 8px 0; border-bottom: 2px solid var(--ink);
  padding-bottom: 2px; break-after: avoid; }}
.meta {{ color: var(--muted); margin: 0; }}
.synthetic {{ background: #fde0dd; color: var(--bad); font-weight: bold; padding: 6px 10px;
  border-radius: 4px; margin: 10px 0; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
  gap: 12px; }}
.card {{ border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
  break-inside: avoid; }}
.card h3 {{ margin: 0 0 6px 0; font-size: 16px; }}
.big {{ font-size: 28px; font-weight: bold; }}
.card p {{ margin: 2px 0; }}
.bad {{ color: var(--bad); }}
.ok {{ color: var(--ok); }}
table {{ border-collapse: collapse; width: 100%; font-size: 13px; }}
th, td {{ border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.num, th.num {{ white-space: nowrap; overflow-wrap: normal; }}
thead th {{ background: #f2f2f2; }}
table.sortable thead th {{ cursor: pointer; user-select: none; }}
table.sortable thead th::after {{ content: " ⇅"; color: #999; }}
table.sortable thead th[aria-sort="ascending"]::after {{ content: " ▲"; color: var(--ink); }}
table.sortable thead th[aria-sort="descending"]::after {{ content: " ▼"; color: var(--ink); }}
.map-frame {{ display: block; width: 100%; height: 640px; height: min(640px, 80vh);
  border: 1px solid var(--line); }}
.table-wrap {{ max-width: 100%; overflow-x: auto; -webkit-overflow-scrolling: touch; }}
td, th, dd, li, p, h3 {{ overflow-wrap: break-word; }}
#grid-table td:first-child {{ min-width: 9em; }}
.verdict {{ font-size: 18px; font-weight: bold; margin: 4px 0; }}
.note {{ color: var(--muted); margin: 4px 0 10px 0; }}
table.targets td {{ vertical-align: top; }}
table.targets td.num {{ white-space: normal; }}
table.targets td.required {{ white-space: nowrap; }}
table.targets .counts {{ color: var(--muted); white-space: nowrap; }}
table.targets .badge {{ display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff;
  background: var(--ok); white-space: nowrap; }}
table.targets tr.missed .badge {{ background: var(--bad); }}
table.targets tr.missed td.tname {{ border-left: 4px solid var(--bad); }}
table.targets tr.met td.tname {{ border-left: 4px solid var(--ok); }}
h3.sub {{ margin: 14px 0 0 0; }}
@media (max-width: 600px) {{
  body {{ padding: 12px; font-size: 14px; }}
  h1 {{ font-size: 21px; }}
  table.targets thead {{ display: none; }}
  table.targets tr {{ display: block; border: 1px solid var(--line); border-radius: 6px;
    margin-bottom: 8px; padding: 4px 0; }}
  table.targets td {{ display: flex; gap: 8px; border: 0; padding: 2px 8px; text-align: left; }}
  table.targets td::before {{ content: attr(data-label); color: var(--muted); flex: 0 0 6.5em; }}
  table.targets td.tname {{ font-weight: bold; }}
  dl.params {{ grid-template-columns: 1fr; }}
  dl.params dd {{ margin-bottom: 6px; }}
  th.parent, td.parent {{ display: none; }}
  table {{ font-size: 12px; }}
  .map-frame {{ height: 70vh; }}
}}
.map-print {{ display: none; width: 100%; }}
dl.params {{ display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }}
dl.params dt {{ font-weight: bold; }}
dl.params dd {{ margin: 0; }}
footer {{ margin-top: 32px; color: var(--muted); font-size: 12px; }}
@page {{ size: A4; margin: 14mm 12mm; }}
@media print {{
  body {{ max-width: none; padding: 0; font-size: 10.5pt; }}
  h1 {{ font-size: 18pt; }}
  h2 {{ font-size: 13pt; margin-top: 14pt; }}
  .map-frame {{ display: none; }}
  .table-wrap {{ overflow: visible; }}
  th.parent, td.parent {{ display: table-cell; }}
  .map-print {{ display: block; max-height: 235mm; object-fit: contain; break-inside: avoid; }}
  .no-print {{ display: none; }}
  table {{ font-size: 8.5pt; }}
  thead {{ display: table-header-group; }}
  tr {{ break-inside: avoid; }}
  table.sortable thead th::after {{ content: ""; }}
  a {{ color: inherit; text-decoration: none; }}
  section {{ break-inside: auto; }}
}}
"""

#: Click a header to sort (numbers by ``data-sort``, text by locale); no dependencies.
SORT_JS = """
(function () {
  function key(cell) {
    var v = cell.getAttribute("data-sort");
    if (v === null) { return cell.textContent.trim(); }
    var n = parseFloat(v);
    return isNaN(n) ? v : n;
  }
  function sortBy(table, col, th) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      var c = (typeof x === "number" && typeof y === "number") ? x - y
        : String(x).localeCompare(String(y), document.documentElement.lang);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, col) {
      th.setAttribute("tabindex", "0");
      th.addEventListener("click", function () { sortBy(table, col, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, col, th); }
      });
    });
  });
})();
"""

REPORT_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ html_lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<p class="meta">{{ t.area }}: {{ area_name }} · {{ t.generated }}: {{ date }}{% if data_date %} · {{ t.data_date }}: {{ data_date }}{% endif %}</p>
{% if synthetic %}<p class="synthetic">{{ t.synthetic }}</p>{% endif %}
</header>

<section id="headline">
<h2>{{ t.headline }}</h2>
{% if targets %}
<p class="verdict {{ 'ok' if all_met else 'bad' }}">{{ verdict }}</p>
<p class="note">{{ t.targets_source }}</p>
<div class="table-wrap">
<table class="targets" id="target-table">
<thead><tr><th>{{ t.target }}</th><th>{{ t.scope }}</th><th class="num">{{ t.required }}</th><th class="num">{{ t.achieved }}</th><th>{{ t.result }}</th><th>{{ t.worst_failed }}</th></tr></thead>
<tbody>
{% for r in targets %}
<tr class="{{ 'met' if r.met else 'missed' }}" data-target="{{ r.id }}">
<td class="tname" data-label="{{ t.target }}">{{ r.id }} {{ r.name }}</td>
<td class="scope" data-label="{{ t.scope }}">{{ r.scope }}</td>
<td class="num required" data-label="{{ t.required }}">{{ r.required }}</td>
<td class="num" data-label="{{ t.achieved }}"><span class="achieved">{{ r.achieved }}</span> <span class="counts">({{ r.counts }})</span></td>
<td class="result" data-label="{{ t.result }}"><span class="badge">{{ r.verdict }}</span></td>
<td class="worst" data-label="{{ t.worst_failed }}">{% if r.worst %}{% for w in r.worst %}<span>{{ w }}</span>{% if not loop.last %}{{ list_sep }}{% endif %}{% endfor %}{% else %}{{ t.none }}{% endif %}</td>
</tr>
{% endfor %}
</tbody>
</table>
</div>
<h3 class="sub">{{ t.glance }}</h3>
<p class="note">{{ t.glance_text }}</p>
{% else %}
<p class="note default-target">{{ t.default_target }}</p>
{% endif %}
<div class="cards">
{% for h in cards %}
<div class="card">
<h3>{{ h.label }}</h3>
{% if h.judged %}
<p><span class="big {{ 'ok' if h.meets else 'bad' }}">{{ h.grids_met }} / {{ h.grids_total }}</span></p>
<p>{{ t.grids_meeting }}</p>
{% endif %}
<p>{{ t.residents_covered }}: <b>{{ h.residents }}</b> ({{ h.share }})</p>
{% if h.judged %}<p>{{ t.worst }}: {% for w in h.worst %}{{ w.name }} {{ w.share }}{% if not loop.last %}{{ list_sep }}{% endif %}{% endfor %}</p>{% endif %}
</div>
{% endfor %}
</div>
</section>

<section id="map">
<h2>{{ t.map }}</h2>
<p class="no-print">{{ t.map_hint }}</p>
<iframe class="map-frame" title="{{ t.map }}" srcdoc="{{ map_html }}"></iframe>
{% if map_png %}<img class="map-print" alt="{{ t.map }}" src="{{ map_png }}">{% endif %}
</section>

<section id="grids">
<h2>{{ t.grid_table }}</h2>
<p class="no-print">{{ t.sort_hint }}</p>
<div class="table-wrap">
<table class="sortable" id="grid-table">
<thead><tr>
<th>{{ t.grid }}</th><th>{{ t.level }}</th><th class="parent">{{ t.parent }}</th><th class="num">{{ t.residents }}</th>
{% for s in service_labels %}<th class="num">{{ s }}</th>{% endfor %}
</tr></thead>
<tbody>
{% for row in grid_rows %}
<tr><td>{{ row.name }}</td><td>{{ row.level }}</td><td class="parent">{{ row.parent }}</td><td class="num" data-sort="{{ row.weight_sort }}">{{ row.weight }}</td>
{% for c in row.shares %}<td class="num {{ c.css }}" data-sort="{{ c.sort }}">{{ c.text }}</td>{% endfor %}
</tr>
{% endfor %}
</tbody>
</table>
</div>
</section>

{% if life_circle_html %}{{ life_circle_html }}
{% endif %}{% if scenario_html %}{{ scenario_html }}
{% endif %}{% if suggestion_rows %}
<section id="suggestions">
<h2>{{ t.suggestions }}</h2>
<div class="table-wrap">
<table class="sortable" id="suggestion-table">
<thead><tr>{% for c in suggestion_columns %}<th class="{{ c.css }}">{{ c.text }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in suggestion_rows %}<tr>{% for c in row %}<td class="{{ c.css }}"{% if c.sort is not none %} data-sort="{{ c.sort }}"{% endif %}>{{ c.text }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
</div>
</section>
{% endif %}

<section id="method">
<h2>{{ t.method }}</h2>
<p>{{ t.method_text }}</p>
<dl class="params">
{% for k, v in parameters %}<dt>{{ k }}</dt><dd>{{ v }}</dd>
{% endfor %}
</dl>
</section>

<section id="sources">
<h2>{{ t.sources }}</h2>
<ul>
{% for s in sources %}<li>{{ s }}</li>
{% endfor %}
</ul>
</section>

<footer>{{ t.footer }} · lifecircle {{ version }} · {{ date }}</footer>
<script>{{ js }}</script>
</body>
</html>
"""
