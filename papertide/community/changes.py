"""What the community's pages depend on, read in one statement of scalar subqueries on every request of
a page that keeps its rows per process (trending, the daily list): a vote, entry, code link, upvote count
or star count added or removed changes it, and so do a comment and a new paper where the page shows them.
What this misses (a comment hidden by a moderator, a paper's text cleaned by the worker, a repository's
new star count) shows once the page's time to live has passed (CACHE_SECONDS).
"""

from django.db import connection

from papertide.catalog.models import CodeLink, Paper, StarCount

from .models import Comment, DailyEntry, UpvoteCount, Vote

# How long a page kept this way may lag behind what the state does not see.
CACHE_SECONDS = 10.0


def community_state(comments: bool = False, papers: bool = False) -> tuple:
    """`comments`: for pages showing comment counts; `papers`: for pages listing the newest papers (a
    paper added; not a count, which takes a scan of a million papers in PostgreSQL)."""
    votes, entries, links = Vote._meta.db_table, DailyEntry._meta.db_table, CodeLink._meta.db_table
    upvotes, stars = UpvoteCount._meta.db_table, StarCount._meta.db_table
    # Counts see deletions (a vote withdrawn); the largest ids see an insert after a deletion.
    parts = [
        f"(SELECT COUNT(*) FROM {votes})",
        f"(SELECT MAX(id) FROM {votes})",
        f"(SELECT COUNT(*) FROM {entries})",
        f"(SELECT MAX(id) FROM {entries})",
        f"(SELECT SUM(imported_upvotes) FROM {entries})",
        f"(SELECT COUNT(*) FROM {links})",
        f"(SELECT MAX(id) FROM {upvotes})",
        f"(SELECT MAX(id) FROM {stars})",
    ]
    if comments:
        table = Comment._meta.db_table
        parts += [f"(SELECT COUNT(*) FROM {table})", f"(SELECT MAX(id) FROM {table})"]
    if papers:
        parts.append(f"(SELECT MAX(id) FROM {Paper._meta.db_table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return cursor.fetchone()
