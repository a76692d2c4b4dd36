"""The house rules the tools cannot see: no import circle, one door for commits.

Both read the source (``ast``), so a new module that breaks a rule fails here with its name.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("analysis", "questionnaires", "survey")
#: the only modules that own units of work: the door itself, and the mail sender and worker,
#: which must commit each claim before its message leaves (exactly-once delivery)
COMMITTERS = {"survey.transactions", "survey.mail.sender", "survey.mail.worker"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node that runs: ``if TYPE_CHECKING:`` blocks only feed the type checker."""
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for statement in node.body
        for child in ast.walk(statement)
    }
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules ``name`` imports when it runs (at the top or inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {target for target in targets if target in known and target != name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _without_package_inits(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first, but a package's
    ``__init__`` importing its own submodules (a blueprint registering its views) is wiring,
    not a circle: edges from a submodule to its own package's ``__init__`` are left out."""
    return {
        name: {t for t in targets if not name.startswith(t + ".")}
        for name, targets in graph.items()
    }


def test_no_module_imports_itself_round_a_circle() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert _cycle(_without_package_inits(graph)) is None


def test_only_the_door_and_the_mail_worker_commit() -> None:
    committing = set()
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                committing.add(name)
    assert committing == COMMITTERS


def test_every_services_module_has_a_test_file_of_its_own_name() -> None:
    services = ROOT / "survey" / "services"
    missing = [
        str(module.relative_to(ROOT))
        for module in sorted(services.rglob("*.py"))
        if module.name != "__init__.py"
        and not (
            ROOT
            / "tests"
            / "survey"
            / "services"
            / module.parent.relative_to(services)
            / f"test_{module.name}"
        ).exists()
    ]
    assert missing == []
