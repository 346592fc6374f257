"""Settings: typed environment helpers, the secret-key rule, and the PostgreSQL switch."""

import os
import subprocess
import sys
from datetime import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from papertide import settings as config


def test_env_int_rejects_words(monkeypatch):
    monkeypatch.setenv("PAPERTIDE_TEST_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="PAPERTIDE_TEST_INT must be an integer"):
        config.env_int("PAPERTIDE_TEST_INT", 1)


def test_env_bool_rejects_unknown_words(monkeypatch):
    monkeypatch.setenv("PAPERTIDE_TEST_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="true or false"):
        config.env_bool("PAPERTIDE_TEST_BOOL", False)


def test_env_list_splits_on_spaces_and_commas(monkeypatch):
    monkeypatch.setenv("PAPERTIDE_TEST_LIST", "cs.CV, cs.CL  cs.LG")
    assert config.env_list("PAPERTIDE_TEST_LIST", "") == ["cs.CV", "cs.CL", "cs.LG"]


@pytest.mark.parametrize("raw", ["8pm", "20", "24:00", "20:00:00", "20:60"])
def test_env_time_takes_hours_and_minutes_only(monkeypatch, raw):
    monkeypatch.setenv("PAPERTIDE_TEST_TIME", raw)
    with pytest.raises(ImproperlyConfigured, match="PAPERTIDE_TEST_TIME must be a time of day as HH:MM"):
        config.env_time("PAPERTIDE_TEST_TIME", "20:00")
    monkeypatch.setenv("PAPERTIDE_TEST_TIME", " 6:05 ")
    assert config.env_time("PAPERTIDE_TEST_TIME", "20:00") == time(6, 5)


def settings_in_subprocess(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not (k.startswith("PAPERTIDE_") or k == "DATABASE_URL")}
    code = "import papertide.settings as s; db = s.DATABASES['default']; print(db['ENGINE'], db['NAME'])"
    return subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, cwd=tmp_path, capture_output=True, text=True
    )


def test_boots_with_zero_environment_on_sqlite_under_var(tmp_path):
    result = settings_in_subprocess(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        str(tmp_path / "var" / "papertide.sqlite3"),
    ]
    assert (tmp_path / "var" / "secret.key").stat().st_mode & 0o077 == 0


def test_papertide_home_moves_the_database(tmp_path):
    result = settings_in_subprocess(tmp_path, PAPERTIDE_HOME=str(tmp_path / "elsewhere"))
    assert result.stdout.split()[1] == str(tmp_path / "elsewhere" / "papertide.sqlite3")


def test_database_url_switches_to_postgresql(tmp_path):
    result = settings_in_subprocess(
        tmp_path, DATABASE_URL="postgres://u:p@127.0.0.1:5432/papertide", PAPERTIDE_SECRET_KEY="k" * 50
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "papertide"]


def test_refuses_to_start_without_secret_key_when_shared_database(tmp_path):
    result = settings_in_subprocess(tmp_path, DATABASE_URL="postgres://u:p@127.0.0.1:5432/papertide")
    assert result.returncode != 0
    assert "PAPERTIDE_SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not (k.startswith("PAPERTIDE_") or k == "DATABASE_URL")}
    env = {
        **clean,
        "PAPERTIDE_HOME": str(tmp_path),
        "PAPERTIDE_HTTPS": "true",
        "PAPERTIDE_SECRET_KEY": "n8Vq2-" + "x7Kp3mW9zQ4rT6yU1iO5aS8dF2gH0jL" * 2,
        "PAPERTIDE_ALLOWED_HOSTS": "papers.example.org",
    }
    result = subprocess.run(
        [sys.executable, "-m", "papertide.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
