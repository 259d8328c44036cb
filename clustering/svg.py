"""Server-rendered SVG for the report: the opinion map and participation charts.

No client library: plain SVG with a title and description for screen readers, shapes as well as
colours per group, and every piece of user text escaped.
"""

from __future__ import annotations

import math

import numpy as np
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clustering.report import COLOURS, SHAPES, GroupView, Series, map_points


def shape_name(shape: str) -> str:
    return {
        "circle": _("circles"),
        "square": _("squares"),
        "triangle": _("triangles"),
        "diamond": _("diamonds"),
        "cross": _("crosses"),
        "star": _("stars"),
    }[shape]


def _marker(shape: str, x: float, y: float, r: float, fill: str, extra: str = "") -> str:
    if shape == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" fill="{fill}"{extra}/>'
    if shape == "triangle":
        pts = f"{x:.1f},{y - r * 1.2:.1f} {x - r * 1.1:.1f},{y + r * 0.8:.1f} {x + r * 1.1:.1f},{y + r * 0.8:.1f}"
        return f'<polygon points="{pts}" fill="{fill}"{extra}/>'
    if shape == "diamond":
        pts = f"{x:.1f},{y - r * 1.3:.1f} {x + r * 1.3:.1f},{y:.1f} {x:.1f},{y + r * 1.3:.1f} {x - r * 1.3:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{fill}"{extra}/>'
    if shape == "cross":
        w = r / 2.2
        return (
            f'<path d="M{x - r:.1f},{y - w:.1f}h{2 * r:.1f}v{2 * w:.1f}h{-2 * r:.1f}z'
            f'M{x - w:.1f},{y - r:.1f}h{2 * w:.1f}v{2 * r:.1f}h{-2 * w:.1f}z" fill="{fill}"{extra}/>'
        )
    if shape == "star":
        pts = " ".join(
            f"{x + (r * 1.3 if i % 2 == 0 else r * 0.55) * math.sin(i * math.pi / 5):.1f},"
            f"{y - (r * 1.3 if i % 2 == 0 else r * 0.55) * math.cos(i * math.pi / 5):.1f}"
            for i in range(10)
        )
        return f'<polygon points="{pts}" fill="{fill}"{extra}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}"{extra}/>'


def group_swatch(view: GroupView) -> SafeString:
    """The group's mark as on the map (its shape in its colour), for the table beside the map."""
    return mark_safe(  # noqa: S308 - a shape name from SHAPES and a colour from COLOURS only
        '<svg class="swatch" viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" '
        f'focusable="false">{_marker(view.shape, 10, 10, 7, view.colour)}</svg>'
    )


def opinion_map(
    result,
    groups: list[GroupView],
    statements: dict[int, str] | None = None,
    width: int = 640,
    height: int = 440,
) -> SafeString:
    """The participants' positions on the two principal axes, coloured and shaped by group.

    ``statements`` (id -> text) adds each statement's position, labelled by its number.
    """
    points, aggregated = map_points(result)
    pad = 28
    xy = np.asarray([(p[0], p[1]) for p in points], dtype=float).reshape(-1, 2)
    if len(xy):
        lo, hi = np.percentile(xy, 1, axis=0), np.percentile(xy, 99, axis=0)
    else:
        lo, hi = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    span = np.maximum(hi - lo, 1e-9)

    def to_px(x: float, y: float) -> tuple[float, float]:
        fx = min(max((x - lo[0]) / span[0], 0.0), 1.0)
        fy = min(max((y - lo[1]) / span[1], 0.0), 1.0)
        return pad + fx * (width - 2 * pad), height - pad - fy * (height - 2 * pad)

    title = _("Opinion map")
    if aggregated:
        desc = _("Each mark is a cluster of similar participants; its size shows how many.")
    else:
        desc = _("Each mark is one participant.")
    desc += " " + " ".join(
        _("Group %(letter)s: %(size)d participants, drawn as %(shape)s.")
        % {"letter": g.letter, "size": g.size, "shape": shape_name(g.shape)}
        for g in groups
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="opinion-map" '
        f'role="img" aria-labelledby="map-title map-desc">',
        f'<title id="map-title">{escape(title)}</title><desc id="map-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff" stroke="#8a8a8a"/>',
        f'<line x1="{width / 2}" y1="{pad / 2}" x2="{width / 2}" y2="{height - pad / 2}" stroke="#ddd"/>',
        f'<line x1="{pad / 2}" y1="{height / 2}" x2="{width - pad / 2}" y2="{height / 2}" stroke="#ddd"/>',
    ]
    max_weight = max((p[3] for p in points), default=1)
    # Points carry the run's group index; marks and colours go by the group's stable label.
    labels = [int(label) for label in result.group_labels]
    for x, y, g, weight in points:
        px, py = to_px(x, y)
        r = 2.5 + (9 * math.sqrt(weight / max_weight) if aggregated else 0)
        if g < 0:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{r:.1f}" fill="#b0b0b0"/>')
        else:
            label = labels[g]
            parts.append(
                _marker(
                    SHAPES[label % len(SHAPES)],
                    px,
                    py,
                    r,
                    COLOURS[label % len(COLOURS)],
                    ' fill-opacity="0.7"',
                )
            )
    index_of = {label: g for g, label in enumerate(labels)}
    for view in groups:
        g = index_of.get(view.label)
        if g is None or g >= len(result.group_centers):
            continue
        px, py = to_px(*result.group_centers[g])
        label = f"{view.letter} ({view.size})"
        w = 9 * len(label) + 10
        parts.append(
            f'<g class="group-label"><rect x="{px - w / 2:.1f}" y="{py - 13:.1f}" width="{w}" height="24" rx="4" '
            f'fill="#fff" stroke="{view.colour}" stroke-width="2"/>'
            f'<text x="{px:.1f}" y="{py + 5:.1f}" text-anchor="middle" font-size="15" font-weight="700" '
            f'fill="#1a1a1a">{escape(label)}</text></g>'
        )
    if statements:
        proj = result.statement_projections
        reach = float(np.abs(xy).max()) if len(xy) else 1.0
        scale = reach / max(float(np.abs(proj).max()) if proj.size else 1.0, 1e-9) * 0.9
        for j, sid in enumerate(result.statement_ids.tolist()):
            if sid not in statements:
                continue
            px, py = to_px(proj[j, 0] * scale, proj[j, 1] * scale)
            parts.append(
                f'<g class="statement-mark"><title>{escape(f"#{sid}: {statements[sid]}")}</title>'
                f'<text x="{px:.1f}" y="{py:.1f}" font-size="10" text-anchor="middle" fill="#4a4a4a">'
                f"{sid}</text></g>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text above is escaped


def bar_chart(series: Series, bucket: str, width: int = 640, height: int = 150) -> SafeString:
    """Bars per day (or week) with the maximum and the first and last date labelled."""
    pad_left, pad_bottom, pad_top = 44, 22, 10
    values = [n for _d, n in series.points]
    peak = max(values, default=0)
    n = max(len(values), 1)
    inner = width - pad_left - 6
    bar = inner / n
    title = escape(series.name)
    desc = escape(
        _("%(total)d in total; the busiest %(bucket)s had %(peak)d.")
        % {
            "total": series.total,
            "bucket": _("day") if bucket == "day" else _("week"),
            "peak": peak,
        }
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="bar-chart" role="img" '
        f'aria-label="{title}: {desc}">',
        f'<line x1="{pad_left}" y1="{height - pad_bottom}" x2="{width - 4}" y2="{height - pad_bottom}" '
        'stroke="#1a1a1a"/>',
        f'<text x="{pad_left - 4}" y="{pad_top + 8}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{pad_left - 4}" y="{height - pad_bottom}" text-anchor="end" font-size="11">0</text>',
    ]
    usable = height - pad_bottom - pad_top
    for i, (day, value) in enumerate(series.points):
        h = usable * value / peak if peak else 0
        x = pad_left + i * bar
        parts.append(
            f'<rect x="{x + 0.1 * bar:.2f}" y="{height - pad_bottom - h:.2f}" width="{max(bar * 0.8, 0.5):.2f}" '
            f'height="{h:.2f}" fill="#0000bf"><title>{day.isoformat()}: {value}</title></rect>'
        )
    if series.points:
        # In the reader's date format (the month as a word in English).
        first, last = (escape(date_format(series.points[i][0], "SHORT_DATE_FORMAT")) for i in (0, -1))
        parts.append(f'<text x="{pad_left}" y="{height - 6}" font-size="11">{first}</text>')
        parts.append(f'<text x="{width - 4}" y="{height - 6}" font-size="11" text-anchor="end">{last}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - only numbers, dates and escaped names
