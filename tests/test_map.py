"""The map (search.atlas, pages.atlas) on real embedded papers: the layout job, placing new papers, the
regions' names, the binary of points, titles on hover, the paper page's inset, the page in a browser."""

import gzip
import os
import re

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from papertide.catalog.models import Paper
from papertide.search.atlas import Stopped, map_job, while_asking
from papertide.search.models import MapLayout, MapPoint, MapRegion, PaperVector
from tests.browser import browser_page  # noqa: F401  (fixture)
from tests.search_data import import_sample

os.environ.setdefault("NUMBA_NUM_THREADS", "1")


def run_job() -> str:
    return map_job(now=timezone.now(), should_stop=lambda: False, write=lambda line: None)


def decode(raw: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = int.from_bytes(raw[:4], "little")
    assert len(raw) == 4 + 9 * n
    ids = np.cumsum(np.frombuffer(raw, "<u4", n, 4))
    xs = np.frombuffer(raw, "<u2", n, 4 + 4 * n)
    ys = np.frombuffer(raw, "<u2", n, 4 + 6 * n)
    regions = np.frombuffer(raw, "u1", n, 4 + 8 * n)
    return ids, xs, ys, regions


@pytest.mark.django_db
def test_every_embedded_paper_gets_a_point_and_regions_are_named_by_their_titles(settings):
    papers = import_sample()
    line = run_job()
    assert line.startswith("map: laid out 300 papers (300 by UMAP)")
    points = {p.paper_id: p for p in MapPoint.objects.all()}
    assert set(points) == {p.pk for p in papers}
    assert all(p.fitted for p in points.values())
    assert len({(round(p.x, 3), round(p.y, 3)) for p in points.values()}) > 290  # not piled on one spot
    regions = list(MapRegion.objects.all())
    assert 5 <= len(regions) <= settings.PAPERTIDE_MAP_REGIONS
    assert sum(r.papers for r in regions) == 300
    titles = {p.pk: p.title_display.lower() for p in papers}
    for region in regions:
        words = region.label.split(" · ")
        assert len(words) == 3, region.label
        mine = [titles[pid] for pid, p in points.items() if p.region == region.number]
        for word in words:  # each word is in a title of the region's own papers
            assert any(re.search(rf"\b{re.escape(word)}\b", t) for t in mine), (word, region.label)
    assert len({r.label for r in regions}) == len(regions)


@pytest.mark.django_db
def test_new_papers_are_placed_near_their_neighbours_without_a_full_layout(settings):
    papers = import_sample()
    late = [p.pk for p in papers[-50:]]
    kept = list(PaperVector.objects.filter(paper_id__in=late))
    PaperVector.objects.filter(paper_id__in=late).delete()
    assert run_job().startswith("map: laid out 250 papers")
    before = {p.paper_id: (p.x, p.y) for p in MapPoint.objects.all()}
    fitted_at = MapLayout.objects.get().fitted_at

    PaperVector.objects.bulk_create(kept)  # 50 new papers: 20 % more, not more than the 20 % of a refit
    settings.PAPERTIDE_MAP_REFIT_GROWTH = 0.2
    assert run_job() == "map: placed 50 new papers near their neighbours"
    layout = MapLayout.objects.get()
    assert layout.fitted_at == fitted_at and layout.fitted_papers == 250
    after = {p.paper_id: p for p in MapPoint.objects.all()}
    assert set(after) == {p.pk for p in papers}
    assert all((after[pid].x, after[pid].y) == xy for pid, xy in before.items())  # old points stay
    assert not any(after[pid].fitted for pid in late)

    # A new paper lands next to its nearest old paper (by embedding), much nearer than papers are on average.
    old_ids = list(before)
    old = np.vstack([PaperVector.objects.get(paper_id=i).vector for i in old_ids])
    spread = np.array(list(before.values()))
    typical = np.median(np.linalg.norm(spread - spread.mean(axis=0), axis=1))
    gaps = []
    for vector in kept:
        nearest = old_ids[int(np.argmax(old @ vector.vector))]
        gaps.append(
            np.hypot(
                after[vector.paper_id].x - before[nearest][0], after[vector.paper_id].y - before[nearest][1]
            )
        )
        assert after[vector.paper_id].region == after[nearest].region
    assert np.median(gaps) < typical / 5

    assert run_job() == "map: placed 0 new papers near their neighbours"
    settings.PAPERTIDE_MAP_REFIT_GROWTH = 0.1  # 300 > 250 x 1.1: the next run lays it all out again
    assert run_job().startswith("map: laid out 300 papers")
    assert MapLayout.objects.get().fitted_papers == 300


def test_umap_runs_while_the_job_asks_whether_to_stop():
    """UMAP runs for minutes in one call: meanwhile the job keeps asking should_stop() (which renews its
    lease in the worker), and gives up on a stop."""
    import time

    asked = []

    def slow() -> np.ndarray:
        time.sleep(0.5)
        return np.ones((3, 2))

    assert while_asking(slow, lambda: asked.append(1) or False, poll=0.05).shape == (3, 2)
    assert len(asked) >= 5
    started = time.monotonic()
    with pytest.raises(Stopped):
        while_asking(slow, lambda: True, poll=0.05)
    assert time.monotonic() - started < 0.4


@pytest.mark.django_db
def test_a_stop_during_the_layout_keeps_the_old_map(monkeypatch):
    import_sample()
    monkeypatch.setattr(
        "papertide.search.atlas.while_asking", lambda compute, should_stop: (_ for _ in ()).throw(Stopped())
    )
    line = map_job(now=timezone.now(), should_stop=lambda: True, write=lambda line: None)
    assert line == "map: stopped while laying out 300 papers; the old map stays"
    assert not MapPoint.objects.exists() and not MapLayout.objects.exists()


@pytest.mark.django_db
def test_points_binary_titles_and_flat_query_counts(client):
    papers = import_sample()
    later = list(PaperVector.objects.filter(paper_id__in=[p.pk for p in papers[100:]]))
    PaperVector.objects.filter(paper_id__in=[v.paper_id for v in later]).delete()  # 100 embedded papers
    assert client.get("/map/").status_code == 200  # no map yet: the page says so
    assert client.get("/map/points.bin").status_code == 404
    run_job()

    def counted(url: str, **headers) -> tuple[object, int]:
        with CaptureQueriesContext(connection) as queries:
            reply = client.get(url, **headers)
        assert reply.status_code == 200, url
        return reply, len(queries)

    counts_100 = [counted(u)[1] for u in ("/map/", "/map/points.bin", "/map/points.bin")]
    PaperVector.objects.bulk_create(later)  # 300 embedded papers now
    assert run_job().startswith("map: laid out 300 papers")
    page, page_queries = counted("/map/")
    meta = page.context["meta"]
    reply, bin_queries = counted(f"/map/points.bin?v={meta['version']}", HTTP_ACCEPT_ENCODING="gzip")
    assert reply["Content-Encoding"] == "gzip" and "immutable" in reply["Cache-Control"]
    raw = gzip.decompress(reply.content)
    assert raw == client.get("/map/points.bin").content
    assert [page_queries, bin_queries, counted("/map/points.bin")[1]] == counts_100  # flat in the papers
    ids, xs, ys, regions = decode(raw)
    assert meta["count"] == len(ids) == 300
    assert list(ids) == sorted(Paper.objects.values_list("id", flat=True))
    assert xs.max() == 65535 or ys.max() == 65535  # the bounding box fills the scale on one axis
    assert xs.min() == 0 and ys.min() == 0
    by_region = dict(MapPoint.objects.values_list("paper_id", "region"))
    assert [by_region[int(i)] for i in ids] == list(regions)
    assert {tuple(r["at"]) for r in meta["regions"]} and all(
        0 <= v <= 65535 for r in meta["regions"] for v in r["at"]
    )

    some = [int(i) for i in ids[:40]]
    titles, title_queries = counted("/map/titles/?ids=" + ",".join(map(str, some)))
    assert title_queries == 1
    expected = {p.pk: p.title_display for p in Paper.objects.filter(pk__in=some)}
    assert {int(k): v[0] for k, v in titles.json().items()} == expected
    paper = Paper.objects.get(pk=some[0])
    assert client.get(f"/map/papers/{paper.pk}/")["Location"] == paper.get_absolute_url()

    paper.delete()  # its point goes with it, and the binary follows at once
    assert decode(client.get("/map/points.bin").content)[0].tolist() == [int(i) for i in ids[1:]]
    assert run_job() == "map: placed 0 new papers near their neighbours"


@pytest.mark.django_db
def test_map_highlights_a_search_a_collection_and_centres_on_a_paper(client, reader):
    papers = import_sample()
    run_job()
    reply = client.get("/map/", {"q": "image segmentation"})
    highlight = reply.context["meta"]["highlight"]
    assert len(highlight) >= 10 and set(highlight) <= {p.pk for p in papers}
    assert "results for “image segmentation”" in reply.content.decode()

    from papertide.library.models import Collection, Entry

    client.force_login(reader)
    mine = Collection.create(reader, "Segmentation")
    Entry.objects.bulk_create(Entry(collection=mine, paper=p) for p in papers[:3])
    assert sorted(client.get("/map/", {"collection": mine.slug}).context["meta"]["highlight"]) == sorted(
        p.pk for p in papers[:3]
    )
    client.logout()
    assert (
        client.get("/map/", {"collection": mine.slug, "user": reader.username}).status_code == 404
    )  # private
    mine.public = True
    mine.save()
    assert client.get("/map/", {"collection": mine.slug, "user": reader.username}).status_code == 200
    assert client.get("/map/", {"paper": papers[5].arxiv_id}).context["meta"]["focus"] == papers[5].pk


@pytest.mark.django_db
def test_paper_page_shows_where_the_paper_sits(client):
    papers = import_sample()
    paper = papers[7]
    assert "map-inset" not in client.get(paper.get_absolute_url()).content.decode()  # no map yet
    run_job()
    html = client.get(paper.get_absolute_url()).content.decode()
    assert f'href="/map/?paper={paper.arxiv_id}"' in html
    region = MapRegion.objects.get(number=MapPoint.objects.get(paper=paper).region)
    assert f"In the region <strong>{region.label}</strong>" in html
    assert html.count("<circle") == MapRegion.objects.count() + 1


@pytest.mark.django_db(transaction=True)
def test_map_draws_in_a_browser_hover_shows_the_title_and_click_opens_the_paper(live_server, browser_page):  # noqa: F811
    papers = import_sample()
    run_job()
    page = browser_page
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(live_server.url + "/map/")
    page.wait_for_function("window.mapDrawnAt !== undefined", timeout=30000)
    assert page.evaluate("window.mapPoints") == 300
    assert page.evaluate("window.mapDrawnAt") > 0
    # Pixels were drawn: the canvas is not the blank background everywhere.
    coloured = page.evaluate(
        """() => { const c = document.getElementById('map'); const d = c.getContext('2d')
             .getImageData(0, 0, c.width, c.height).data; let n = 0;
             for (let i = 0; i < d.length; i += 4) if (d[i] < 200) n++; return n; }"""
    )
    assert coloured > 300

    # The buttons zoom about the centre, a drag pans by as much as the pointer moved.
    a, b = papers[0].pk, papers[1].pk

    def gap() -> float:
        (ax, ay), (bx, by) = page.evaluate(f"[window.mapScreenOf({a}), window.mapScreenOf({b})]")
        return float(np.hypot(ax - bx, ay - by))

    before = gap()
    page.click(".map-buttons button[data-zoom=in]")
    assert gap() == pytest.approx(before * 1.6, rel=1e-3)
    start = page.evaluate(f"window.mapScreenOf({a})")
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + 300, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 340, box["y"] + 280, steps=4)
    page.mouse.up()
    moved = page.evaluate(f"window.mapScreenOf({a})")
    assert moved == [pytest.approx(start[0] + 40, abs=0.01), pytest.approx(start[1] - 20, abs=0.01)]
    assert page.url.endswith("/map/")  # a drag is not a click

    # Zoom in on a paper (so that no neighbour hides it), hover it, see its title, click it.
    target = papers[42]
    page.goto(live_server.url + f"/map/?paper={target.arxiv_id}")
    page.wait_for_function("window.mapDrawnAt !== undefined", timeout=30000)
    x, y = page.evaluate(f"window.mapScreenOf({target.pk})")
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y)
    tip = page.locator(".map-tip")
    page.wait_for_function(
        f"document.querySelector('.map-tip').dataset.paper === '{target.pk}' && "
        "!document.querySelector('.map-tip').textContent.startsWith('…')",
        timeout=10000,
    )
    assert tip.inner_text() == target.title_display
    page.mouse.click(x, y)
    page.wait_for_url(f"**/papers/{target.arxiv_id}/")
    assert page.locator("h1").inner_text() == target.title_display
    assert page.locator("section.map-inset svg circle.here").count() == 1


@pytest.mark.django_db
def test_titles_and_clicks_ignore_ids_no_paper_can_have(client):
    papers = import_sample(3, embed=False)
    reply = client.get(f"/map/titles/?ids=a,-1,99999999999999999999999,{papers[0].pk}")
    assert reply.status_code == 200 and list(reply.json()) == [str(papers[0].pk)]
    assert client.get("/map/papers/99999999999999999999999/").status_code == 404
