"""The /stats/ trend chart: an SVG drawn on the server from the figures (no script, no network)."""

from __future__ import annotations

import datetime as dt

# --- The trend chart: an SVG drawn on the server (no script, no network) -------------

CHART_W, CHART_H, PAD_L, PAD_B, PAD_T = 640, 180, 36, 22, 8


def trend_svg(*, trend: list[tuple[dt.date, int, int]], title: str, received_label: str, resolved_label: str) -> str:
    """Bars of requests received per day, the resolved part of each bar in red.

    Only numbers and dates go into the markup, plus the labels, which are escaped.
    Presentation attributes, never `style`, so the strict CSP allows it.
    """
    from django.utils.html import escape

    n = max(len(trend), 1)
    top = max([r for _, r, _ in trend] + [1])
    plot_w, plot_h = CHART_W - PAD_L - 4, CHART_H - PAD_B - PAD_T
    step = plot_w / n
    bar = max(step * 0.8, 0.5)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_W} {CHART_H}" role="img" '
        f'class="trend-chart" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{PAD_L}" y1="{PAD_T + plot_h}" x2="{CHART_W - 4}" y2="{PAD_T + plot_h}" stroke="#adb5bd"/>',
        f'<text x="{PAD_L - 4}" y="{PAD_T + 8}" text-anchor="end" font-size="10" fill="#6c757d">{top}</text>',
        f'<text x="{PAD_L - 4}" y="{PAD_T + plot_h}" text-anchor="end" font-size="10" fill="#6c757d">0</text>',
    ]
    for i, (day, received, resolved) in enumerate(trend):
        x = PAD_L + i * step + (step - bar) / 2
        h_all = plot_h * received / top
        h_res = plot_h * resolved / top
        parts.append(
            f'<rect x="{x:.1f}" y="{PAD_T + plot_h - h_all:.1f}" width="{bar:.1f}" height="{h_all:.1f}" '
            f'fill="#ced4da"><title>{day:%m-%d} {escape(received_label)} {received}</title></rect>'
        )
        if resolved:
            parts.append(
                f'<rect x="{x:.1f}" y="{PAD_T + plot_h - h_res:.1f}" width="{bar:.1f}" height="{h_res:.1f}" '
                f'fill="#dc3545"><title>{day:%m-%d} {escape(resolved_label)} {resolved}</title></rect>'
            )
    if trend:
        y = CHART_H - 6
        parts.append(f'<text x="{PAD_L}" y="{y}" font-size="10" fill="#6c757d">{trend[0][0]:%Y-%m-%d}</text>')
        parts.append(
            f'<text x="{CHART_W - 4}" y="{y}" text-anchor="end" font-size="10" fill="#6c757d">'
            f"{trend[-1][0]:%Y-%m-%d}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
