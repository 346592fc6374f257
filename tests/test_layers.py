"""The layers point one way: every import in the package, read with `ast`, goes down or stays in its app.

Bottom to top (docs/development.md has the map):
    catalog, accounts  ->  community, search  ->  library  ->  digests  ->  api, pages, ops
An app imports its own modules and those of the layers below it; apps on one floor do not import each other.
Modules at the package root are shared plumbing: any app may import caches, emails and the package itself
(its version); only urls.py imports the apps, to route to them. Imports inside functions count too.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "papertide"

LAYERS = [
    {"catalog", "accounts"},
    {"community", "search"},
    {"library"},
    {"digests"},
    {"api", "pages", "ops"},
]
FLOOR = {app: level for level, apps in enumerate(LAYERS) for app in apps}
# Root modules any app may import: plumbing with no app of its own underneath.
SHARED = {"papertide", "papertide.caches", "papertide.emails"}
# The only root module that may import apps: the URL map.
ROUTER = "papertide.urls"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from papertide import emails` imports the module papertide.emails, `from papertide import
            # __version__` a name of the package itself.
            found += [(node.lineno, submodule(target, alias.name, root)) for alias in node.names]
    return found


def submodule(module: str, name: str, root: Path) -> str:
    """module.name where that is a module or package of ours, else module."""
    if not module.startswith("papertide"):
        return module
    path = root.parent.joinpath(*module.split("."), name)
    return f"{module}.{name}" if path.is_dir() or path.with_suffix(".py").exists() else module


def app_of(module: str) -> str | None:
    """The app a module belongs to (papertide.<app>....), or None for root modules and other packages."""
    parts = module.split(".")
    if parts[0] != "papertide" or len(parts) < 2 or parts[1] not in FLOOR:
        return None
    return parts[1]


def offence(importer: str, imported: str) -> str | None:
    """Why this import runs against the layers, or None when it is allowed."""
    if not imported.startswith("papertide"):
        return None  # Django, the standard library, other packages
    source, target = app_of(importer), app_of(imported)
    if source is None:  # a root module
        if target is None or importer == ROUTER:
            return None
        return f"root module imports the app {target} (only {ROUTER} may)"
    if target is None:
        return None if imported in SHARED else f"app {source} imports the root module {imported}"
    if target == source or FLOOR[target] < FLOOR[source]:
        return None
    if FLOOR[target] == FLOOR[source]:
        return f"{source} imports {target} sideways (same floor)"
    return f"{source} imports {target} upwards"


def violations(root: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        importer = module_name(path, root)
        for line, imported in imported_names(path, root):
            why = offence(importer, imported)
            if why:
                found.append(f"{path.relative_to(root.parent)}:{line} imports {imported}: {why}")
    return found


def test_imports_follow_the_layers():
    found = violations()
    assert not found, "imports against the layers:\n" + "\n".join(found)


def test_every_app_has_a_floor():
    apps = {p.name for p in PACKAGE.iterdir() if (p / "apps.py").exists() or (p / "__init__.py").exists()}
    apps -= {"templates", "static"}
    assert apps - set(FLOOR) == set(), f"apps missing from LAYERS: {apps - set(FLOOR)}"


def test_the_check_catches_upward_sideways_and_function_level_imports(tmp_path):
    """The checker itself: a package with an upward import inside a function, a sideways relative import
    and a root module reaching into an app is reported, each with its module and import."""
    package = tmp_path / "papertide"
    for app in ("catalog", "community", "search", "api"):
        (package / app).mkdir(parents=True)
        (package / app / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "catalog" / "models.py").write_text(
        "def f():\n    from papertide.community.models import Vote\n"
    )
    (package / "search" / "views.py").write_text("from ..community import trending\nfrom .. import caches\n")
    (package / "community" / "views.py").write_text("from papertide.catalog.models import Paper\n")
    (package / "cli.py").write_text("import papertide.api.urls\n")
    (package / "urls.py").write_text("from papertide.api import urls\n")
    assert violations(package) == [
        "papertide/catalog/models.py:2 imports papertide.community.models: catalog imports community upwards",
        "papertide/cli.py:1 imports papertide.api.urls: root module imports the app api "
        "(only papertide.urls may)",
        "papertide/search/views.py:1 imports papertide.community: search imports community sideways "
        "(same floor)",
    ]


def test_sources_import_the_records_not_the_upsert():
    """A source yields records and raises SourceError (catalog/records.py); the upsert reads them."""
    sources = PACKAGE / "catalog" / "sources"
    found = [
        f"{path.name}:{line} imports {imported}"
        for path in sorted(sources.glob("*.py"))
        for line, imported in imported_names(path, PACKAGE)
        if imported.startswith("papertide.catalog.services")
    ]
    assert not found, found
