"""Apps depend downwards: ``accounts`` is the ground floor, ``onboarding`` and ``demo`` the top.

Read from the source with ``ast``, so an import inside a function counts as much as one at the
top of a module.
"""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import get_commands

TOP_LAYER = {"onboarding", "demo"}


def _local_apps() -> list[str]:
    root = Path(settings.BASE_DIR).resolve()
    return sorted(
        config.name for config in apps.get_app_configs() if Path(config.path).parent == root
    )


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports_of(path: Path, module: str) -> set[str]:
    """Every module that ``path`` imports, ``from a import b`` counting as ``a`` and ``a.b``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module of a local app -> the modules of other local apps it imports."""
    root = Path(settings.BASE_DIR).resolve()
    local = set(_local_apps())
    graph = {}
    for app in local:
        for path in sorted((root / app).rglob("*.py")):
            module = _module_name(path, root)
            graph[module] = {
                name
                for name in _imports_of(path, module)
                if name.split(".")[0] in local and name.split(".")[0] != app
            }
    return graph


def _edges(graph, *, importer_app: str | None = None, imported_apps: set[str]):
    return {
        (module, name)
        for module, names in graph.items()
        if importer_app is None or module.split(".")[0] == importer_app
        for name in names
        if name.split(".")[0] in imported_apps
    }


def test_the_walk_sees_every_app_and_their_imports():
    graph = import_graph()
    assert {"accounts", "environments", "workflows", "onboarding", "demo"} <= set(_local_apps())
    # A walk that found nothing would pass every test below.
    assert "accounts.models" in graph["environments.models"] | graph["environments.services"]
    assert "onboarding.services" in graph["demo.management.commands.seed_demo"]


def test_accounts_imports_no_app_above_it():
    graph = import_graph()
    above = set(_local_apps()) - {"accounts"}
    upward = _edges(graph, importer_app="accounts", imported_apps=above)
    assert upward == set()


def test_no_product_app_imports_the_top_layer():
    graph = import_graph()
    below = {module for module in graph if module.split(".")[0] not in TOP_LAYER}
    assert {
        (module, name) for module, name in _edges(graph, imported_apps=TOP_LAYER) if module in below
    } == set()
    # onboarding is below demo: the demo organization is made the way sign-up makes one.
    assert _edges(graph, importer_app="onboarding", imported_apps={"demo"}) == set()


def test_the_demo_lives_only_in_the_demo_app():
    assert get_commands()["seed_demo"] == "demo"
    root = Path(settings.BASE_DIR).resolve()
    for app in set(_local_apps()) - {"demo"}:
        assert not list((root / app).rglob("demo.py")), app
        assert not list((root / app).rglob("management/commands/seed_*.py")), app
