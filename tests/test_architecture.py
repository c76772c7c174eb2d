"""The house's rules, checked on the code: layers, no circles, short modules, thin views."""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import grimp
import pytest

APP = Path(__file__).resolve().parents[1] / "app"
MAX_MODULE_LINES = 450
MAX_VIEW_LINES = 25
#: modules that are edges (they may read the request, the app and the logged-in user)
EDGE_NAMES = {"routes", "cli", "receivers", "forms", "decorators", "extension", "web", "tasks"}
EDGE_MODULES = {"app/__init__.py", "app/errors.py", "app/error_responses.py",
                "app/transactions.py", "app/security.py", "app/routing.py",
                "app/navigation.py", "app/templating.py", "app/cli.py", "app/extensions.py",
                "app/jobs.py", "app/i18n.py"}
REQUEST_GLOBALS = re.compile(
    r"^\s*from flask(_login)? import [^\n]*\b(current_app|request|g|current_user|session)\b",
    re.MULTILINE)


def python_files() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(APP.parent).as_posix()


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Import circles between modules (Tarjan's algorithm), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            members = []
            while True:
                member = stack.pop()
                members.append(member)
                if member == module:
                    break
            if len(members) > 1:
                circles.append(sorted(members))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for module in sorted(graph.modules):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(circles, key=len, reverse=True)


def test_no_import_circle_inside_the_app():
    graph = grimp.build_graph("app", exclude_type_checking_imports=True)
    assert strongly_connected(graph) == []


def test_the_circle_finder_finds_a_circle(tmp_path, monkeypatch):
    package = tmp_path / "circular"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circular import b\n")
    (package / "b.py").write_text("from circular import c\n")
    (package / "c.py").write_text("from circular import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circular")
    assert strongly_connected(graph) == [["circular.a", "circular.b", "circular.c"]]


@pytest.mark.parametrize("pattern", ["find_spec", "import_module", "has_endpoint",
                                     "except ImportError", "view_functions"])
def test_no_optional_area_lookups(pattern):
    found = [relative(path) for path in python_files() if pattern in path.read_text()]
    found += [path.relative_to(APP.parent).as_posix()
              for path in (APP / "templates").rglob("*.html") if pattern in path.read_text()]
    assert found == []


def test_no_module_is_longer_than_the_limit():
    long = {relative(path): n for path in python_files()
            if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_view_is_longer_than_the_limit():
    long = {}
    for path in python_files():
        if not path.name.endswith("routes.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                    _is_route(decorator) for decorator in node.decorator_list):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_VIEW_LINES:
                    long[f"{relative(path)}:{node.name}"] = length
    assert long == {}


def _is_route(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr in {
        "route", "get", "post", "put", "patch", "delete"}


def test_services_read_no_request_globals():
    readers = [relative(path) for path in python_files()
               if not path.stem.endswith(tuple(EDGE_NAMES)) and relative(path) not in EDGE_MODULES
               and REQUEST_GLOBALS.search(path.read_text())]
    assert readers == []


def test_views_leave_the_transaction_to_the_request():
    found = [f"{relative(path)}:{n}" for path in python_files() if path.name.endswith("routes.py")
             for n, line in enumerate(path.read_text().splitlines(), start=1)
             if re.search(r"\bdb\.session\.(commit|rollback)\(", line)]
    assert found == []


PAYLOAD_FIELDS = {"code", "holder_name", "course_title", "course_slug", "course_version",
                  "issued_on", "expires_on", "issuer"}


def test_the_payload_fields_are_written_once():
    """Only the payload module spells the fields out together (a dict, a call, a class)."""
    spelled = {}
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            names = _names_spelled(node) & PAYLOAD_FIELDS
            if len(names) >= 6:
                spelled.setdefault(relative(path), []).append(node.lineno)
    assert list(spelled) == ["app/certificates/payload.py"]


def _names_spelled(node: ast.AST) -> set[str]:
    """The keys of a dict literal, the keywords of a call or the annotated fields of a class."""
    if isinstance(node, ast.Dict):
        return {key.value for key in node.keys if isinstance(key, ast.Constant)}
    if isinstance(node, ast.Call):
        return {keyword.arg for keyword in node.keywords if keyword.arg}
    if isinstance(node, ast.ClassDef):
        return {stmt.target.id for stmt in node.body
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)}
    return set()
