"""Start or stop the PostgreSQL (with pgvector) that the test suite's PostgreSQL run uses.

    python tests/postgres_server.py start DIR   # prints a DATABASE_URL
    python tests/postgres_server.py stop DIR

The server comes from the PyPI package pgserver, which ships PostgreSQL and the pgvector extension.
"""

import sys
from pathlib import Path


def main() -> None:
    action, folder = sys.argv[1], Path(sys.argv[2]).resolve()
    import pgserver

    if action == "start":
        server = pgserver.get_server(folder, cleanup_mode=None)  # keeps running after this process
        print(server.get_uri())
    elif action == "stop":
        if (folder / "postmaster.pid").exists():
            pgserver.get_server(folder, cleanup_mode="stop").cleanup()
    else:
        sys.exit(f"unknown action {action!r}: start or stop")


if __name__ == "__main__":
    main()
