import django.db.models.deletion
from django.db import migrations, models

import papertide.search.fields

FTS_TABLE = "search_fts"


def create_keyword_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        # An FTS5 table of the papers, written by the upsert in the same transaction.
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "title, abstract, authors, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        # Each term's document frequency, read to keep common words out of costly queries.
        schema_editor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE}_vocab USING fts5vocab({FTS_TABLE}, 'row')")
        schema_editor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, title, abstract, authors) "
            "SELECT id, title, abstract, (SELECT group_concat(value, ' ') FROM json_each(authors)) "
            "FROM catalog_paper"
        )
    elif vendor == "postgresql":
        # A weighted tsvector kept by PostgreSQL itself (a generated column), GIN-indexed.
        schema_editor.execute(
            "ALTER TABLE catalog_paper ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(abstract, '')), 'B') || "
            "setweight(jsonb_to_tsvector('simple', authors, '[\"string\"]'), 'B')) STORED"
        )
        schema_editor.execute("CREATE INDEX catalog_paper_search_vector ON catalog_paper USING gin (search_vector)")


def drop_keyword_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}_vocab")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif vendor == "postgresql":
        schema_editor.execute("ALTER TABLE catalog_paper DROP COLUMN IF EXISTS search_vector")


def create_vector_extension(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS vector")


def create_vector_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX search_papervector_hnsw ON search_papervector USING hnsw (vector vector_cosine_ops)"
        )


def drop_vector_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_papervector_hnsw")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_keyword_index, drop_keyword_index),
        migrations.RunPython(create_vector_extension, migrations.RunPython.noop),
        migrations.CreateModel(
            name="PaperVector",
            fields=[
                (
                    "paper",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="vector",
                        serialize=False,
                        to="catalog.paper",
                    ),
                ),
                ("model", models.CharField(db_index=True, max_length=200)),
                ("vector", papertide.search.fields.VectorField(dimensions=384)),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True)),
            ],
        ),
        migrations.RunPython(create_vector_index, drop_vector_index),
    ]
