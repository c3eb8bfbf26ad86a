"""Dependencies point one way (ARCHITECTURE.md): cli/web → importers, audit, rules, dispatch →
domain services → repositories → db. Checked on the imports each module really makes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "momentum"
DOMAIN = {
    "rep",
    "deal",
    "meeting",
    "contact",
    "task",
    "flag",
    "reminder",
    "next_step",
    "value_asset",
    "user",
    "outbox",
    "playbook",
}
EDGES = {"cli", "web"}
FEATURES = {
    "importers", "audit", "rules", "dispatch", "export", "demo", "runtime",
    "schedule", "review", "coaching", "digest", "admin",
}  # fmt: skip
FRAMEWORKS = {"typer", "fastapi", "starlette", "uvicorn", "click"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _layer(path: Path) -> str:
    relative = path.relative_to(SOURCE)
    return relative.parts[0].removesuffix(".py") if len(relative.parts) > 1 else relative.stem


MODULES = sorted(p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_imports_point_one_way(path: Path) -> None:
    layer = _layer(path)
    imported = _imports(path)
    packages = {
        name.split(".")[1]
        for name in imported
        if name.startswith("momentum.") and name.count(".") >= 1
    }
    roots = {name.split(".")[0] for name in imported}
    if layer not in EDGES and layer != "__main__":
        assert not packages & EDGES, f"{path}: only the CLI and the web app are edges"
        assert not roots & FRAMEWORKS, f"{path}: frameworks belong to the edges"
    if path == SOURCE / "db" / "models.py":  # the registry of every table, and nothing else
        others = {
            name
            for name in imported
            if name.startswith("momentum.")
            and not name.endswith(".models")
            and name != "momentum.db.base"
        }
        assert not others, f"{path} imports only models: {others}"
    elif layer in DOMAIN | {"db"}:
        assert not packages & FEATURES, f"{path}: the domain does not know its callers"
        if layer == "db":
            assert not packages & DOMAIN, f"{path}: db knows no domain"
    if layer == "importers":
        assert not packages & {"audit", "rules", "dispatch"}, path
    if layer == "audit":
        assert not packages & {"rules", "dispatch", "export"}, path


def test_the_check_sees_real_imports() -> None:
    assert "momentum.importers" in _imports(SOURCE / "audit" / "service.py")
    assert _layer(SOURCE / "audit" / "service.py") == "audit"
