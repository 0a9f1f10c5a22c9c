"""The rooms of docs/architecture.md, held against the code: who may import whom, and no import
cycle in the server (imports inside functions count; ``if TYPE_CHECKING:`` imports do not, as they
never run)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("server", "kiosk", "counters", "displays", "dashboard", "visitor", "admin", "backoffice", "prereview",
            "guide", "devices")
EDGE_WIRING = {"server.app", "server.cli", "server.asgi"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports when it runs, wherever the import statement stands."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for orelse in node.orelse:
                visit(orelse)
            return
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in out if m in known and m != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def test_the_server_has_no_import_cycle() -> None:
    edges = {m: {d for d in deps if d.startswith("server")} for m, deps in graph().items() if m.startswith("server")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if state.get(nxt) is None and (cycle := walk(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := walk(start)):
            raise AssertionError("import cycle: " + " -> ".join(cycle))


def test_only_the_wiring_imports_the_http_routes() -> None:
    offenders = sorted(f"{m} imports {d}" for m, deps in graph().items() for d in deps
                       if d.startswith("server.api") and not m.startswith("server.api") and m not in EDGE_WIRING)
    assert offenders == []


def test_each_room_imports_only_what_it_may() -> None:
    rules = {  # room: rooms of the project it must not import
        "server.domain": ("server.store", "server.bus", "server.engine", "server.context", "server.services",
                          "server.api", "server.hub", "server.agents", "server.jobs", "server.web"),
        # the simulator drives the pure core, so it is as pure (test below: the domain and the SVG charts only)
        "server.simulation": ("server.store", "server.bus", "server.engine", "server.context", "server.services",
                              "server.api", "server.hub", "server.agents", "server.jobs", "server.web"),
        "server.services": ("server.api", "server.hub", "server.agents", "server.jobs", "server.web"),
        "server.hub": ("server.api",),
        "server.agents": ("server.api",),
        "server.jobs": ("server.api", "server.hub"),
        "server.reports": ("server.api", "server.hub"),
        "devices": ("server",),
        # the bottom: everything may count and log through them, so they import no room of the server
        "server.metrics": ("server.",),
        "server.logs": ("server.",),
    }
    offenders = []
    for module, deps in graph().items():
        for room, forbidden in rules.items():
            if module == room or module.startswith(room + "."):
                offenders += [f"{module} imports {d}" for d in deps if any(d == f or d.startswith(f + ".")
                                                                            for f in forbidden)]
    assert offenders == []


def test_the_simulator_imports_only_the_domain_and_the_charts() -> None:
    allowed = ("server.domain", "server.simulation", "server.reports.charts")
    offenders = sorted(f"{m} imports {d}" for m, deps in graph().items() if m.startswith("server.simulation")
                       for d in deps if d.startswith("server") and d != "server.reports"
                       and not any(d == a or d.startswith(a + ".") for a in allowed))
    assert offenders == []


def test_the_fronts_own_their_pages_and_the_shared_folders_hold_only_shared_files() -> None:
    for front, page in (("kiosk", "kiosk"), ("counters", "counter"), ("displays", "display"),
                        ("dashboard", "dashboard"), ("visitor", "ticket"), ("admin", "admin"),
                        ("backoffice", "backoffice"), ("prereview", "prereview"),
                        ("guide", "guide")):
        assert (ROOT / front / "routes.py").is_file()
        assert (ROOT / front / "templates" / f"{page}.html").is_file()
        assert (ROOT / front / "static" / "js" / f"{page}.js").is_file()
    shared_templates = {p.name for p in (ROOT / "server" / "templates").glob("*.html")}
    assert shared_templates <= {"base.html", "index.html", "login.html", "not_found.html"}
    shared_scripts = {p.name for p in (ROOT / "static" / "js").glob("*.js")}
    assert shared_scripts <= {"live.js", "hall_model.js", "login.js", "wait.js"}  # wait.js: the wait in words
