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
        # One thread per worker for torch and BLAS: workers already share the cores, and two threads on two
        # busy cores made a single query 30x slower when measured.
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
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
