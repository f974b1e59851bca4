"""The printed (static PNG) map explains every heritage colour it draws."""

from __future__ import annotations

import matplotlib.colors as mcolors
from matplotlib.figure import Figure

import lifecircle as lc
from lifecircle.maps import static


def test_every_heritage_colour_drawn_has_a_legend_entry() -> None:
    heritage = lc.load_demo_layers().heritage
    ax = Figure().add_subplot()
    handles = static._plot_heritage(ax, heritage, "zh")
    drawn = {
        mcolors.to_hex(colour)
        for collection in ax.collections
        for colour in collection.get_facecolor()
    }
    legend = {mcolors.to_hex(h.get_facecolor()) for h in handles}
    assert drawn and drawn <= legend
    assert all("优秀历史建筑" in h.get_label() or "文物" in h.get_label() for h in handles)
