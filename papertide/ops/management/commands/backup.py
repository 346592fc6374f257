"""papertide backup: a consistent copy of the database, taken while the service runs.

SQLite: Python's sqlite3 online backup API copies the live database page by page. The copy is read from
one read transaction held on the source for the whole copy, so every page comes from the same snapshot
even while web processes and workers write (WAL mode lets them commit meanwhile). PostgreSQL: pg_dump's
custom format, connected with Django's connection settings.

Either way the backup is written to a temporary file beside DEST, checked, and only then renamed to DEST:
a failed or interrupted backup never leaves a half-written DEST.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from tqdm import tqdm

# Pages copied per step of the SQLite backup (4 MiB with SQLite's default 4 KiB pages): only the
# granularity of the progress bar, since all steps read the same snapshot.
STEP_PAGES = 1024


class SqliteCopy(NamedTuple):
    size: int  # bytes
    papers: int
    integrity: str


def paper_count(db: sqlite3.Connection) -> int:
    """Papers in this SQLite database (0 before the first migrate)."""
    if not db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'catalog_paper'"
    ).fetchone():
        return 0
    return db.execute("SELECT count(*) FROM catalog_paper").fetchone()[0]


def integrity(db: sqlite3.Connection) -> str:
    """'ok', or SQLite's list of problems."""
    return "; ".join(row[0] for row in db.execute("PRAGMA integrity_check").fetchall())


def backup_sqlite(source: Path, target: Path, pages: int = STEP_PAGES, progress=None) -> SqliteCopy:
    """Copy the SQLite database `source` into the (empty or absent) file `target`, consistently while
    other connections write; leave it a single self-contained file (no -wal) and check it.

    `progress(copied_bytes, total_bytes)` is called after each step."""
    # mode=rw: a missing source is an error, not a new empty database.
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=rw", uri=True, timeout=20, isolation_level=None)
    try:
        # One read transaction for the whole copy: each backup step then reads from this snapshot (no step
        # opens a newer one, so writes by others neither show up halfway nor restart the copy).
        src.execute("BEGIN")
        snapshot_papers = paper_count(src)
        page_size = src.execute("PRAGMA page_size").fetchone()[0]
        dst = sqlite3.connect(target, isolation_level=None)
        try:

            def step(status, remaining, total):
                if progress:
                    progress((total - remaining) * page_size, total * page_size)

            src.backup(dst, pages=pages, progress=step)
            src.execute("COMMIT")
            # The copied header says WAL, like the source's: make the copy one file that needs no -wal.
            dst.execute("PRAGMA journal_mode = DELETE")
            checked = integrity(dst)
            papers = paper_count(dst)
        finally:
            dst.close()
    finally:
        src.close()
    if checked == "ok" and papers != snapshot_papers:  # cannot happen with one snapshot: say so if it does
        checked = f"the copy has {papers:,} papers, the snapshot had {snapshot_papers:,}"
    return SqliteCopy(target.stat().st_size, papers, checked)


# libpq parameters that must never appear on a command line (other processes can read it).
SECRET_PARAMETERS = {"password", "sslpassword", "oauth_client_secret"}


def pg_dump_invocation(connection, dest: Path, pg_dump: str = "pg_dump") -> tuple[list[str], dict[str, str]]:
    """The pg_dump command line and environment for this Django connection: every connection parameter
    that libpq reads from an environment variable goes there (the password as PGPASSWORD); the few that
    have none go in a --dbname connection string, unless they are secret."""
    from psycopg import conninfo, pq

    params = connection.get_connection_params()
    env_var = {
        option.keyword.decode(): option.envvar.decode() if option.envvar else None
        for option in pq.Conninfo.get_defaults()
    }
    # client_encoding is Django's choice for its own connections: pg_dump dumps in the database's encoding.
    params.pop("client_encoding", None)
    env, inline = dict(os.environ), {}
    for key, value in params.items():
        if key not in env_var or value is None or value == "":
            continue  # psycopg's and Django's own arguments (cursor_factory, context, ...)
        if variable := env_var[key]:
            env[variable] = str(value)
        elif key in SECRET_PARAMETERS:
            raise CommandError(
                f"the database setting {key!r} can reach pg_dump only on its command line: "
                "put it in a connection service file (PGSERVICEFILE) instead"
            )
        else:
            inline[key] = value
    argv = [pg_dump, "--format=custom", "--file", str(dest)]
    if inline:
        argv.append(f"--dbname={conninfo.make_conninfo(**inline)}")
    return argv, env


def check_dest(dest: Path, force: bool) -> None:
    if dest.is_dir():
        raise CommandError(f"{dest} is a directory: name the backup file to write, e.g. {dest}/papertide.bak")
    if not dest.parent.is_dir():
        raise CommandError(f"cannot write {dest}: the directory {dest.parent} does not exist")
    if dest.exists() and not force:
        raise CommandError(f"{dest} already exists: choose another name, or pass --force to replace it")


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


class Command(BaseCommand):
    help = (
        "Back up the database to DEST while the service runs: SQLite through its online backup API, "
        "PostgreSQL with pg_dump --format=custom."
    )

    def add_arguments(self, parser):
        parser.add_argument("dest", type=Path, help="the backup file to write")
        parser.add_argument("--force", action="store_true", help="replace DEST if it exists")

    def handle(self, *args, dest: Path, force: bool, **options):
        dest = dest.expanduser().absolute()
        check_dest(dest, force)
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor == "sqlite":
            backup = self.sqlite
        elif connection.vendor == "postgresql":
            backup = self.postgresql
        else:
            raise CommandError(f"papertide backup knows SQLite and PostgreSQL, not {connection.vendor}")
        # Write beside DEST (same file system, so the rename is atomic), readable by its owner only.
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
        os.close(fd)
        partial = Path(name)
        try:
            summary = backup(connection, partial)
            os.replace(partial, dest)
        finally:
            for leftover in (
                partial,
                Path(f"{partial}-journal"),
                Path(f"{partial}-wal"),
                Path(f"{partial}-shm"),
            ):
                leftover.unlink(missing_ok=True)
        self.stdout.write(f"backed up to {dest}: {summary}")

    def sqlite(self, connection, partial: Path) -> str:
        if connection.is_in_memory_db():
            raise CommandError("the database is in memory: there is no file to back up")
        source = Path(connection.settings_dict["NAME"])
        if not source.is_file():
            raise CommandError(f"there is no database at {source}: nothing to back up")
        self.stderr.write(f"backing up {source}")
        with tqdm(unit="B", unit_scale=True, file=sys.stderr, disable=None, dynamic_ncols=True) as bar:

            def progress(copied, total):
                bar.total, bar.n = total, copied
                bar.refresh()

            try:
                copy = backup_sqlite(source, partial, progress=progress)
            except sqlite3.Error as error:
                raise CommandError(f"the backup of {source} failed: {error}") from error
        if copy.integrity != "ok":
            raise CommandError(f"the copy failed its integrity check, so it was not kept: {copy.integrity}")
        return f"{megabytes(copy.size)}, {copy.papers:,} papers, integrity check ok"

    def postgresql(self, connection, partial: Path) -> str:
        pg_dump = shutil.which("pg_dump")
        if not pg_dump:
            raise CommandError(
                "pg_dump is not on PATH: install PostgreSQL's client programs (the same major version as "
                "the server, or newer) or add their folder to PATH"
            )
        argv, env = pg_dump_invocation(connection, partial, pg_dump)
        name = connection.settings_dict["NAME"]
        self.stderr.write(f"dumping database {name} with {pg_dump}")
        result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if result.returncode != 0:
            raise CommandError(f"pg_dump failed (exit status {result.returncode}): {result.stderr.strip()}")
        summary = f"{megabytes(partial.stat().st_size)}, PostgreSQL custom format (pg_restore reads it)"
        # Read the archive's table of contents back, with the pg_restore that came with this pg_dump.
        pg_restore = Path(pg_dump).with_name("pg_restore")
        if pg_restore.exists():
            listing = subprocess.run(
                [str(pg_restore), "--list", str(partial)],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
            )
            if listing.returncode != 0:
                raise CommandError(
                    f"pg_restore cannot read the dump, so it was not kept: {listing.stderr.strip()}"
                )
            tables = sum(" TABLE DATA " in line for line in listing.stdout.splitlines())
            summary += f", {tables} tables"
        return summary
