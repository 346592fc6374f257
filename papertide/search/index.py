"""The keyword index, kept in step with the catalog: written in the same transaction as the upsert."""

from django.db import connection

from . import keyword


def index_papers(papers, replace: bool) -> None:
    """(Re)index papers' title, abstract and authors. ``replace``: some may be indexed already."""
    if connection.vendor != "sqlite" or not papers:
        return
    rows = [(p.pk, p.title, p.abstract, " ".join(p.authors or [])) for p in papers]
    with connection.cursor() as cursor:
        if replace:
            marks = ",".join(["%s"] * len(rows))
            cursor.execute(f"DELETE FROM {keyword.TABLE} WHERE rowid IN ({marks})", [r[0] for r in rows])
        cursor.executemany(
            f"INSERT INTO {keyword.TABLE}(rowid, title, abstract, authors) VALUES (%s, %s, %s, %s)", rows
        )


def rebuild() -> int:
    """Rebuild the whole keyword index from the catalog (the database is the source of truth)."""
    from papertide.catalog.models import Paper

    if connection.vendor != "sqlite":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {keyword.TABLE}")
    count = 0
    batch = []
    for paper in Paper.everything.only("id", "title", "abstract", "authors").iterator(chunk_size=2000):
        batch.append(paper)
        if len(batch) == 2000:
            index_papers(batch, replace=False)
            count += len(batch)
            batch = []
    index_papers(batch, replace=False)
    return count + len(batch)
