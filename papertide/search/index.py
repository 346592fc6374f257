"""The keyword index, kept in step with the catalog: written in the same transaction as the upsert."""

from . import backends


def index_papers(papers, replace: bool) -> None:
    """(Re)index papers' title, abstract and authors. ``replace``: some may be indexed already.

    The backend decides how: SQLite writes its FTS5 table; PostgreSQL's generated tsvector column
    follows the paper row by itself."""
    backends.current().index_papers(papers, replace)
