"""Papers in the JSON shape of Hugging Face's paper endpoints, plus papertide's own fields."""

from ninja import Schema
from pydantic import Field

from papertide.catalog.models import Paper


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class AuthorOut(Schema):
    name: str
    hidden: bool = Field(description="always false: Hugging Face's field for authors who hide their profile")


class PaperOut(Schema):
    """A paper, as every route that shows one gives it (paper_json)."""

    id: str = Field(description="the arXiv id, without version")
    authors: list[AuthorOut]
    publishedAt: str | None = Field(description="first version submitted (ISO 8601, UTC), else listed day")
    title: str
    summary: str = Field(description="the abstract")
    upvotes: int = Field(description="votes cast here plus the paper's imported Hugging Face upvotes")
    githubRepo: str | None
    projectPage: str | None
    categories: list[str] = Field(description="arXiv categories, primary first")
    url: str = Field(description="the paper's page on this site")


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
