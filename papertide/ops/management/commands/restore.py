"""papertide restore: put a backup made by `papertide backup` back in place (SQLite).

The backup is checked first (integrity_check, a papertide database), then copied into the database file
through SQLite's backup API: SQLite itself replaces the content, so an old -wal or -shm file beside the
database can never be replayed over the restored one. PostgreSQL dumps are restored with pg_restore
(docs/operations.md).
"""

import sqlite3
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from tqdm import tqdm

from .backup import STEP_PAGES, integrity, paper_count


class Command(BaseCommand):
    help = (
        "Replace the SQLite database with a backup made by `papertide backup` "
        "(stop the web processes and workers first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("src", type=Path, help="the backup file")
        parser.add_argument(
            "--no-input", "--noinput", action="store_false", dest="interactive", help="do not ask to confirm"
        )

    def handle(self, *args, src: Path, interactive: bool, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor == "postgresql":
            raise CommandError(
                "papertide restore is for SQLite; restore a PostgreSQL dump with pg_restore: "
                "pg_restore --clean --if-exists --dbname DATABASE_URL DUMP (see docs/operations.md)"
            )
        if connection.vendor != "sqlite" or connection.is_in_memory_db():  # type: ignore[attr-defined]
            raise CommandError("papertide restore needs the SQLite database file of PAPERTIDE_HOME")
        live = Path(connection.settings_dict["NAME"])
        src = src.expanduser().resolve()
        if not src.is_file():
            raise CommandError(f"there is no backup file at {src}")
        if live.exists() and src.samefile(live):
            raise CommandError(f"{src} is the database itself, not a backup of it")

        backup = self.open_backup(src)
        try:
            papers = paper_count(backup)
            if interactive:
                answer = input(
                    f"This replaces everything in {live} with the {papers:,} papers, the accounts and the "
                    f"votes of {src}.\nStop the web processes and workers first. Type 'yes' to go on: "
                )
                if answer.strip().lower() != "yes":
                    raise CommandError("restore cancelled: nothing was changed")
            self.stderr.write(f"restoring {src} into {live}")
            target = sqlite3.connect(live, timeout=20, isolation_level=None)
            try:
                page_size = backup.execute("PRAGMA page_size").fetchone()[0]
                with tqdm(
                    unit="B", unit_scale=True, file=sys.stderr, disable=None, dynamic_ncols=True
                ) as bar:

                    def progress(status, remaining, total):
                        bar.total, bar.n = total * page_size, (total - remaining) * page_size
                        bar.refresh()

                    backup.backup(target, pages=STEP_PAGES, progress=progress)
                restored = paper_count(target)
            except sqlite3.Error as error:
                raise CommandError(f"the restore into {live} failed: {error}") from error
            finally:
                target.close()
        finally:
            backup.close()

        self.stdout.write(f"restored {src} into {live}: {restored:,} papers")
        connection.close()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        connection.close()
        if pending:
            self.stdout.write(
                f"the backup predates {len(pending)} migration(s) of this version: "
                "run `papertide migrate` before starting the service"
            )

    def open_backup(self, src: Path) -> sqlite3.Connection:
        """The backup, read-only, after checking that it is a sound papertide database."""
        backup = sqlite3.connect(src.as_uri() + "?mode=ro", uri=True, isolation_level=None)
        try:
            tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            checked = integrity(backup)
        except sqlite3.DatabaseError as error:
            backup.close()
            raise CommandError(f"{src} is not a readable SQLite database: {error}") from error
        if not {"django_migrations", "catalog_paper"} <= tables:
            backup.close()
            raise CommandError(f"{src} is an SQLite database but not a papertide one")
        if checked != "ok":
            backup.close()
            raise CommandError(f"{src} fails its integrity check, so nothing was changed: {checked}")
        return backup
