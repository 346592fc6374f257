"""Small charts drawn on the server as SVG: a count over time (a paper's upvotes, its repository's stars).

No JavaScript and no chart library: a step line (a count holds until the next reading), the first and last
values and dates as text, and a title for screen readers. Readings are what the sync recorded, so the
chart shows exactly the series stored, nothing interpolated.
"""

from collections.abc import Sequence
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 320, 96
PAD_X, PAD_TOP, PAD_BOTTOM = 4, 16, 18


def step_chart(
    readings: Sequence[tuple[datetime, int]], *, title: str, now: datetime | None = None
) -> SafeString:
    """An SVG of a count over time, from (time, count) readings in time order; "" when there are none.

    The line runs from the first reading to `now` (default: the last reading), holding each count until
    the next one: a count read at two times says nothing about what it was in between but the first."""
    if not readings:
        return mark_safe("")
    times = [t.timestamp() for t, _ in readings]
    values = [v for _, v in readings]
    start = times[0]
    end = max(times[-1], now.timestamp() if now else times[-1])
    low, high = min(values), max(values)
    plot_w, plot_h = WIDTH - 2 * PAD_X, HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(t: float) -> float:
        return PAD_X + (plot_w * (t - start) / (end - start) if end > start else plot_w / 2)

    def y(v: int) -> float:
        return PAD_TOP + (plot_h * (high - v) / (high - low) if high > low else plot_h / 2)

    points = [(x(times[0]), y(values[0]))]
    for t, previous, value in zip(times[1:], values[:-1], values[1:], strict=True):
        points += [(x(t), y(previous)), (x(t), y(value))]
    points.append((x(end), y(values[-1])))
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    first, last = readings[0], readings[-1]
    summary = f"{title}: {first[1]:,} on {first[0]:%Y-%m-%d %H:%M} UTC, " + (
        f"{last[1]:,} on {last[0]:%Y-%m-%d %H:%M} UTC, {len(readings):,} readings"
        if len(readings) > 1
        else "1 reading"
    )
    dots = "".join(
        f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2"/>' for t, v in zip(times, values, strict=True)
    )
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(summary)}"><title>{escape(summary)}</title>'
        f'<text x="{PAD_X}" y="11" class="chart-value">{last[1]:,}</text>'
        f'<polyline points="{path}" fill="none" stroke="currentColor" stroke-width="1.5"/>'
        f'<g class="chart-dots">{dots}</g>'
        f'<text x="{PAD_X}" y="{HEIGHT - 4}" class="chart-date">{first[0]:%Y-%m-%d}</text>'
        f'<text x="{WIDTH - PAD_X}" y="{HEIGHT - 4}" class="chart-date" text-anchor="end">'
        f"{(now or last[0]):%Y-%m-%d}</text></svg>"
    )
    return mark_safe(svg)  # every text in it is a number, a date, or escaped
