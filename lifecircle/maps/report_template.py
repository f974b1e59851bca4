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
  padding: 24px; line-height: 1.5; font-size: 15px; }}
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
thead th {{ background: #f2f2f2; }}
table.sortable thead th {{ cursor: pointer; user-select: none; }}
table.sortable thead th::after {{ content: " ⇅"; color: #999; }}
table.sortable thead th[aria-sort="ascending"]::after {{ content: " ▲"; color: var(--ink); }}
table.sortable thead th[aria-sort="descending"]::after {{ content: " ▼"; color: var(--ink); }}
.map-frame {{ width: 100%; height: 640px; border: 1px solid var(--line); }}
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
<div class="cards">
{% for h in headlines %}
<div class="card">
<h3>{{ h.label }}</h3>
<p><span class="big {{ 'ok' if h.meets else 'bad' }}">{{ h.grids_met }} / {{ h.grids_total }}</span></p>
<p>{{ t.grids_meeting }}</p>
<p>{{ t.residents_covered }}: <b>{{ h.residents }}</b> ({{ h.share }})</p>
<p>{{ t.worst }}: {% for w in h.worst %}{{ w.name }} {{ w.share }}{% if not loop.last %}; {% endif %}{% endfor %}</p>
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
<table class="sortable" id="grid-table">
<thead><tr>
<th>{{ t.grid }}</th><th>{{ t.level }}</th><th>{{ t.parent }}</th><th class="num">{{ t.residents }}</th>
{% for s in service_labels %}<th class="num">{{ s }}</th>{% endfor %}
</tr></thead>
<tbody>
{% for row in grid_rows %}
<tr><td>{{ row.name }}</td><td>{{ row.level }}</td><td>{{ row.parent }}</td><td class="num" data-sort="{{ row.weight_sort }}">{{ row.weight }}</td>
{% for c in row.shares %}<td class="num {{ c.css }}" data-sort="{{ c.sort }}">{{ c.text }}</td>{% endfor %}
</tr>
{% endfor %}
</tbody>
</table>
</section>

{% if suggestion_rows %}
<section id="suggestions">
<h2>{{ t.suggestions }}</h2>
<table class="sortable" id="suggestion-table">
<thead><tr>{% for c in suggestion_columns %}<th class="num">{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in suggestion_rows %}<tr>{% for c in row %}<td class="num" data-sort="{{ c.sort }}">{{ c.text }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
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
