"""The server-drawn charts, on a real series: one paper's Hugging Face upvotes over the nine captures of
2025-01-08 (13 hours of growth, into the next morning)."""

import gzip
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from papertide.pages.charts import step_chart
from tests.conftest import data_path

CAPTURES = "hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08/snapshots.jsonl.gz"
SVG = "{http://www.w3.org/2000/svg}"


def upvote_series(day: str) -> dict[str, list[tuple[datetime, int]]]:
    """Each paper's (capture time, upvotes) on the captures of one day, in capture order."""
    series: dict[str, list[tuple[datetime, int]]] = {}
    with gzip.open(data_path(CAPTURES), "rt") as lines:
        captures = [c for c in map(json.loads, lines) if c["date"] == day]
    for capture in sorted(captures, key=lambda c: c["committed_at"]):
        at = datetime.fromisoformat(capture["committed_at"].replace("Z", "+00:00"))
        for entry in capture["response"]:
            series.setdefault(entry["paper"]["id"], []).append((at, entry["paper"]["upvotes"]))
    return series


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_a_real_upvote_series_is_drawn_as_steps_rising_to_its_last_count():
    series = upvote_series("2025-01-08")
    arxiv_id, readings = max(series.items(), key=lambda item: item[1][-1][1] - item[1][0][1])
    assert len(readings) == 9 and readings[-1][1] > readings[0][1]  # the day grew, as the data says
    chart = parse(step_chart(readings, title=f"Upvotes of {arxiv_id}"))
    points = [tuple(map(float, p.split(","))) for p in chart.find(f"{SVG}polyline").get("points").split()]
    assert len(points) == 2 * len(readings)  # a rise and a hold per reading after the first, and the end
    ys = [y for _, y in points]
    assert ys[0] == max(ys) and ys[-1] == min(ys)  # lowest count first, highest last (SVG's y points down)
    assert all(b[0] >= a[0] for a, b in zip(points, points[1:], strict=False))  # time only moves right
    title = chart.find(f"{SVG}title").text
    (first_at, first), (last_at, last) = readings[0], readings[-1]
    assert (
        f"{first:,} on {first_at:%Y-%m-%d %H:%M} UTC" in title and f"{last:,} on {last_at:%Y-%m-%d}" in title
    )
    assert len(chart.find(f"{SVG}g")) == 9  # one dot a reading


def test_one_reading_a_flat_line_to_now_and_none_nothing():
    series = upvote_series("2025-01-08")
    arxiv_id, readings = next(iter(series.items()))
    now = readings[0][0] + timedelta(days=2)
    chart = parse(step_chart(readings[:1], title="Upvotes", now=now))
    first_at, first = readings[0]
    assert chart.find(f"{SVG}title").text == f"Upvotes: {first:,} on {first_at:%Y-%m-%d %H:%M} UTC, 1 reading"
    points = chart.find(f"{SVG}polyline").get("points").split()
    assert len(points) == 2 and points[0].split(",")[1] == points[1].split(",")[1]
    assert chart.findall(f"{SVG}text")[-1].text == f"{now:%Y-%m-%d}"
    assert step_chart([], title="Upvotes") == ""


def test_the_title_is_escaped():
    series = upvote_series("2025-01-08")
    readings = next(iter(series.values()))
    svg = step_chart(readings, title='Stars of <script>alert("x")</script>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    parse(svg)  # still well-formed
