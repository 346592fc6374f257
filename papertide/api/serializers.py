"""Papers in the JSON shape of Hugging Face's paper endpoints, plus papertide's own fields."""

from papertide.catalog.models import Paper


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def paper_json(paper: Paper) -> dict:
    """A paper from Paper.objects.with_votes() (its `upvotes`: votes here plus Hugging Face's), with its
    code links prefetched."""
    links = list(paper.code_links.all())
    github = next((link.url for link in links if link.kind == "github"), None)
    project = next((link.url for link in links if link.kind == "project"), None)
    return {
        "id": paper.arxiv_id,
        "authors": [{"name": name, "hidden": False} for name in paper.authors_display],
        "publishedAt": iso(paper.published)
        or (f"{paper.listed_on.isoformat()}T00:00:00Z" if paper.listed_on else None),
        "title": paper.title_display,
        "summary": paper.abstract_display,
        "upvotes": paper.upvotes,
        "githubRepo": github,
        "projectPage": project,
        "categories": paper.categories,
        "url": paper.get_absolute_url(),
    }
