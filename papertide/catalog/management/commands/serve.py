"""papertide serve: run the web service with gunicorn."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve papertide with gunicorn on PAPERTIDE_BIND (default 127.0.0.1:8000)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.PAPERTIDE_BIND)
        parser.add_argument("--workers", type=int, default=settings.PAPERTIDE_WEB_WORKERS)

    def handle(self, *args, bind, workers, **options):
        self.stdout.write(f"serving papertide on http://{bind}/")
        sys.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "papertide.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
        ]
        os.execv(sys.executable, argv)
