"""The `papertide` console script: Django's management commands under one name.

`papertide ingest ...`, `papertide serve`, `papertide migrate` and every other command are the project's
management commands; docs/commands.md lists them.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["papertide", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
