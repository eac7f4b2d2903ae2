"""Server-rendered SVG bar charts with axes and values: pure (values in, markup out).

No script and no style attribute (the CSP allows neither): presentation attributes only.
Each chart has a <title> and a <desc> listing every value, so a screen reader gets the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the viewer reads it (formatted in their locale)


def bar_chart(title: str, bars: Sequence[Bar], *, width: int = 560, height: int = 220,
              y_label: str = "") -> str:
    """A vertical bar chart: y axis with 0 and the maximum, x labels, a value on each bar."""
    left, bottom, top, right = 48, 40, 24, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max((b.value for b in bars), default=0.0) or 1.0
    n = max(len(bars), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.7, 1.0)
    desc = "; ".join(f"{b.label}: {b.shown}" for b in bars)
    out = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="100%" aria-labelledby="c-t c-d" xmlns="http://www.w3.org/2000/svg">',
           f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
           f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
           f'stroke="#333"/>',
           f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="11" '
           f'fill="#222">0</text>',
           f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="11" '
           f'fill="#222">{escape(_short(top_value))}</text>']
    if y_label:
        out.append(f'<text x="4" y="{top - 8}" font-size="11" fill="#222">'
                   f"{escape(y_label)}</text>")
    small = n > 12
    for i, b in enumerate(bars):
        h = plot_h * (b.value / top_value) if top_value else 0
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h - h
        cx = x + bar_w / 2
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                   f'fill="#1f5f99"><title>{escape(b.label)}: {escape(b.shown)}</title></rect>')
        if not small or b.value:
            out.append(f'<text x="{cx:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                       f'font-size="{9 if small else 11}" fill="#222">{escape(b.shown)}</text>')
        out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                   f'font-size="{9 if small else 11}" fill="#222">{escape(b.label)}</text>')
    out.append("</svg>")
    return "".join(out)


def _short(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 or v == int(v) else f"{v:.2f}"
