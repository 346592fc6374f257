"""The map page (/map/) and what it draws from: the points as one compact binary, titles on hover.

points.bin, little-endian: uint32 n; n uint32 paper ids as differences from the previous id (ids ascending,
so they are small and gzip well); n uint16 x; n uint16 y (the map's bounding box scaled to 0..65535, the
same scale on both axes); n uint8 region. 9 bytes a point before gzip (docs/map.md). Built once per layout
version in each web process; the page and the binary agree on the version (MapLayout.updated_at and the
count of points).
"""

import gzip
import threading
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers

from papertide.catalog import text
from papertide.catalog.models import Paper
from papertide.library.models import Collection
from papertide.search import engine
from papertide.search.models import MapLayout, MapPoint, MapRegion

SCALE = 65535
HIGHLIGHT_LIMIT = 200  # search results shown on the map
TITLES_LIMIT = 500  # ids one titles request may ask for


@dataclass(frozen=True)
class Packed:
    version: str
    count: int
    lo: tuple[float, float]
    span: float
    raw: bytes
    zipped: bytes

    def quantize(self, x: float, y: float) -> tuple[int, int]:
        return (
            int(round((x - self.lo[0]) / self.span * SCALE)),
            int(round((y - self.lo[1]) / self.span * SCALE)),
        )


_packed: Packed | None = None
_lock = threading.Lock()


def layout_version() -> str | None:
    """Changes with the points: the worker's last change, and their count (a deleted paper takes its point
    with it, with no change of the layout row)."""
    layout = MapLayout.objects.filter(id=1).values_list("updated_at", flat=True).first()
    if layout is None:
        return None
    return f"{layout.strftime('%Y%m%d%H%M%S%f')}-{MapPoint.objects.count()}"


def pack(version: str) -> Packed:
    rows = MapPoint.objects.order_by("paper_id").values_list("paper_id", "x", "y", "region")
    table = np.array(list(rows), dtype=np.float64).reshape(-1, 4)
    n = len(table)
    ids = table[:, 0].astype(np.int64)
    xy = table[:, 1:3]
    lo = xy.min(axis=0) if n else np.zeros(2)
    span = float((xy.max(axis=0) - lo).max()) if n else 1.0
    span = span or 1.0
    q = np.clip(np.rint((xy - lo) / span * SCALE), 0, SCALE).astype("<u2")
    deltas = np.diff(ids, prepend=0).astype("<u4")
    raw = b"".join(
        [
            np.array([n], dtype="<u4").tobytes(),
            deltas.tobytes(),
            q[:, 0].tobytes(),
            q[:, 1].tobytes(),
            np.clip(table[:, 3], 0, 255).astype(np.uint8).tobytes(),
        ]
    )
    return Packed(version, n, (float(lo[0]), float(lo[1])), span, raw, gzip.compress(raw, 6))


def packed() -> Packed | None:
    """The current layout packed, built again when the worker has changed the map."""
    global _packed
    version = layout_version()
    if version is None:
        return None
    with _lock:
        if _packed is None or _packed.version != version:
            _packed = pack(version)
        return _packed


def points_bin(request):
    data = packed()
    if data is None:
        raise Http404("no map yet")
    zipped = "gzip" in request.headers.get("Accept-Encoding", "")
    response = HttpResponse(data.zipped if zipped else data.raw, content_type="application/octet-stream")
    if zipped:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ["Accept-Encoding"])
    # The page asks for ?v=<version>: a new layout is a new URL, so this one can be kept.
    fresh = request.GET.get("v") == data.version
    response["Cache-Control"] = "public, max-age=86400, immutable" if fresh else "no-cache"
    response["ETag"] = f'"{data.version}-{int(zipped)}"'
    return response


MAX_ID = 2**63 - 1  # the largest primary key either database holds


def titles(request):
    """{id: title} for up to TITLES_LIMIT paper ids (the hover's batches)."""
    ids = []
    for part in request.GET.get("ids", "").split(",")[:TITLES_LIMIT]:
        if part.isdigit() and int(part) <= MAX_ID:  # a larger number is no paper's, and overflows SQLite
            ids.append(int(part))
    rows = Paper.objects.filter(id__in=ids).values_list("id", "title_clean", "title", "arxiv_id")
    response = JsonResponse(
        {str(pk): [clean or text.clean(raw), arxiv_id] for pk, clean, raw, arxiv_id in rows}
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


def open_paper(request, pk: int):
    """A click on a point: the paper's page."""
    if pk > MAX_ID:
        raise Http404("no such paper")
    return redirect(get_object_or_404(Paper.objects.only("arxiv_id"), pk=pk).get_absolute_url())


def _highlight(request) -> tuple[list[int], str, int]:
    """Paper ids to highlight, what they are, and the status (400 for a search that failed)."""
    q = request.GET.get("q", "").strip()
    slug = request.GET.get("collection", "").strip()
    if q:
        try:
            hits = engine.search(q, limit=HIGHLIGHT_LIMIT).hits
        except engine.SearchError as exc:
            return [], str(exc), 400
        return [h.paper_id for h in hits], f"{len(hits)} results for “{q}”", 200
    if slug:
        username = request.GET.get("user", "").strip()
        if username:
            owner = get_object_or_404(get_user_model(), username=username)
            found = get_object_or_404(Collection.objects.public(), owner=owner, slug=slug)
        elif request.user.is_authenticated:
            found = get_object_or_404(Collection, owner=request.user, slug=slug)
        else:
            raise Http404("no such collection")
        ids = list(found.entries.values_list("paper_id", flat=True))
        return ids, f"{len(ids)} papers of the collection “{found.name}”", 200
    return [], "", 200


def map_page(request) -> HttpResponse:
    data = packed()
    highlight, caption, status = _highlight(request)
    focus = None
    paper_id = request.GET.get("paper", "").strip()
    if paper_id:
        focus = Paper.objects.filter(arxiv_id=paper_id).values_list("id", "title_clean", "title").first()
        if focus is not None:
            caption = caption or f"“{focus[1] or text.clean(focus[2])}”"
    meta: dict = {"count": 0}
    if data is not None:
        regions = [
            {"label": label, "papers": papers, "at": data.quantize(x, y)}
            for label, papers, x, y in MapRegion.objects.values_list("label", "papers", "x", "y")
        ]
        meta = {
            "count": data.count,
            "version": data.version,
            "regions": regions,
            "highlight": highlight,
            "focus": focus[0] if focus else None,
        }
    context = {"meta": meta, "caption": caption, "q": request.GET.get("q", ""), "has_map": data is not None}
    return render(request, "pages/map.html", context, status=status)
