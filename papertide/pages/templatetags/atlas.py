"""The paper page's inset: where the paper sits on the map, as a small inline SVG linking to /map/."""

from django import template
from django.db.models import Max, Min
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode

from papertide.search.models import MapPoint, MapRegion

register = template.Library()
WIDTH, HEIGHT, PAD = 240, 160, 8


@register.simple_tag
def map_inset(paper) -> str:
    """Nothing when the paper has no point yet; else the regions' centres (dots sized by their papers),
    the paper's point, the name of its region, and a link to the map centred on it. Three queries."""
    point = MapPoint.objects.filter(paper_id=paper.pk).values_list("x", "y", "region").first()
    if point is None:
        return ""
    box = MapPoint.objects.aggregate(x0=Min("x"), x1=Max("x"), y0=Min("y"), y1=Max("y"))
    span = max(box["x1"] - box["x0"], box["y1"] - box["y0"]) or 1.0
    scale = min(WIDTH, HEIGHT) - 2 * PAD
    left = (WIDTH - (box["x1"] - box["x0"]) / span * scale) / 2
    top = (HEIGHT - (box["y1"] - box["y0"]) / span * scale) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return round(left + (x - box["x0"]) / span * scale, 1), round(top + (y - box["y0"]) / span * scale, 1)

    regions, label = [], ""
    for number, name, papers, x, y in MapRegion.objects.values_list("number", "label", "papers", "x", "y"):
        cx, cy = at(x, y)
        regions.append({"cx": cx, "cy": cy, "r": round(min(14, 1.5 + papers**0.5 / 6), 1), "label": name})
        if number == point[2]:
            label = name
    px, py = at(point[0], point[1])
    return render_to_string(
        "pages/map_inset_svg.html",
        {
            "paper": paper,
            "regions": regions,
            "px": px,
            "py": py,
            "label": label,
            "width": WIDTH,
            "height": HEIGHT,
            "href": reverse("map") + "?" + urlencode({"paper": paper.arxiv_id}),
        },
    )
