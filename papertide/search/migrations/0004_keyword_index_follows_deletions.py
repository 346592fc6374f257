"""SQLite: a paper's row in the FTS5 keyword index goes when the paper does (PostgreSQL's tsvector is a
column of the paper itself).

A deleted paper (in the admin) left its keyword row behind: a candidate that matches the words, has no
vector and no paper to show. Since a paper without a vector is ranked by its words alone (fusion.py), such
a row could take the first place of a search and leave the list one paper short. Rows left by earlier
deletions are removed here.

Django's SQLite schema editor rebuilds a table to alter it and drops the old table's triggers with it: a
migration that rebuilds catalog_paper must create this trigger again (tests/test_search_keyword.py fails
when it is missing).
"""

from django.db import migrations

TRIGGER = "search_fts_follows_paper_delete"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DELETE FROM search_fts WHERE rowid NOT IN (SELECT id FROM catalog_paper)")
    schema_editor.execute(
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER} AFTER DELETE ON catalog_paper "
        "BEGIN DELETE FROM search_fts WHERE rowid = old.id; END"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_synthetic"),
        ("search", "0003_hnsw_ef_construction"),
    ]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
