"""The source's shape, checked: imports point one way (lower layers never import upper ones,
not even inside a function), the top-level parts import each other in no circle, and no
file or function outgrows what a reader takes in at once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "erre"

# the top-level parts of erre, lowest first: a part imports only parts of its layer or below
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "errors", "documents", "config", "language"),  # the nouns and the settings
    ("chunk", "ingest", "embed", "store", "llm", "guard", "persona", "style", "serving", "subjects"),  # the parts
    ("retrieve", "sync", "migrate", "twin", "answer", "chat", "conversations", "timeline"),  # the core
    ("eval", "tune", "server", "telegram", "cli"),  # tuning, evaluation, the channels
)
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}
FILE_LINES = 600
FILE_LINES_CLI = 1000  # the command line: one small function per command
FUNCTION_LINES = 75


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _part(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    return rel.parts[0]


def imports(path: Path) -> set[str]:
    """The top-level parts of erre that `path` imports, anywhere in it."""
    rel = path.relative_to(SRC).with_suffix("")
    package = list(rel.parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                names = [base + node.module.split(".")] if node.module else [base + [a.name] for a in node.names]
            elif node.module and node.module.split(".")[0] == "erre":
                names = [node.module.split(".")[1:]]
            else:
                names = []
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1:] for a in node.names if a.name.split(".")[0] == "erre"]
        else:
            continue
        found.update(n[0] if n else "__init__" for n in names)
    found.discard(_part(path))
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in _sources():
        edges.setdefault(_part(path), set()).update(imports(path))
    return edges


def test_every_part_has_a_layer():
    assert set(graph()) <= set(RANK), f"add these parts to LAYERS: {sorted(set(graph()) - set(RANK))}"


def test_imports_point_down():
    wrong = [f"{path.relative_to(SRC)} imports {other}"
             for path in _sources() for other in sorted(imports(path))
             if other in RANK and RANK[other] > RANK.get(_part(path), 99)]
    assert not wrong, "a lower layer imports an upper one: " + "; ".join(wrong)


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one part (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_parts_import_each_other_in_a_circle():
    assert not circles(graph())


def test_the_circle_finder_finds_circles():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_files_and_functions_stay_small(path):
    lines = path.read_text(encoding="utf-8").count("\n")
    limit = FILE_LINES_CLI if path.name == "cli.py" else FILE_LINES
    assert lines <= limit, f"{path.relative_to(SRC)} has {lines} lines (limit {limit}): split it by concern"
    long = [f"{n.name} ({n.end_lineno - n.lineno + 1} lines)"
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.end_lineno - n.lineno + 1 > FUNCTION_LINES]
    assert not long, f"{path.relative_to(SRC)}: functions over {FUNCTION_LINES} lines: {', '.join(long)}"
