"""Docs as tests: every setting and command is documented."""

from pathlib import Path

from django.core.management import get_commands

from papertide import settings as config

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_is_documented():
    text = (DOCS / "settings.md").read_text()
    missing = [
        name for name in config.ENV_VARS if f"`{name}`" not in text and not name.startswith("PAPERTIDE_TEST")
    ]
    assert not missing, f"undocumented settings in docs/settings.md: {missing}"


def test_every_papertide_command_is_documented():
    text = (DOCS / "commands.md").read_text()
    ours = [name for name, app in get_commands().items() if app.startswith("papertide")]
    assert ours
    missing = [name for name in ours if f"papertide {name}" not in text]
    assert not missing, f"undocumented commands in docs/commands.md: {missing}"


def test_every_ingest_source_is_documented():
    text = (DOCS / "commands.md").read_text()
    for source in ("arxiv", "oai", "arxiv-daily", "arxiv-reconcile", "snapshot", "hf-daily", "startup"):
        assert f"papertide ingest {source}" in text


def test_every_api_route_is_documented():
    from papertide.api.urls import api

    text = (DOCS / "api.md").read_text()
    routes = set()
    for pattern in api.urls[0]:
        route = str(pattern.pattern).replace("<path:arxiv_id>", "{id}").replace("<arxiv_id>", "{id}")
        route = route.replace("<slug>", "{slug}")
        if route not in ("openapi.json", "docs", ""):  # the schema, its docs page, the API root
            routes.add("/api/" + route.rstrip("/"))
    assert routes
    missing = [
        route
        for route in sorted(routes)
        if not any(f"`{m} {route}`" in text for m in ("GET", "POST", "DELETE"))
    ]
    assert not missing, f"undocumented API routes in docs/api.md: {missing}"
