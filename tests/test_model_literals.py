"""Cypher names come from the model: every label, relationship type and quoted status value
written in a Cypher string of hub/, graph/, authz/ or loaders/ is one graph/model.py defines.

The scan reads the source (AST), so it sees exactly the strings the code holds: string
constants that look like Cypher (a MATCH, MERGE, CREATE or RETURN clause, or a relationship
pattern), including the constant parts of f-strings; docstrings are prose and are skipped. A
name interpolated from `Label`, `Rel` or an enum is not a literal and passes by construction.
No database needed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Final

import graph.model as model
from graph.model import Label, Rel

ROOT: Final = Path(__file__).resolve().parent.parent
SCANNED: Final = ("hub", "graph", "authz", "loaders")

_CYPHER: Final = re.compile(r"\b(MATCH|MERGE|CREATE|RETURN)\b|\)-\[|\]->\(|<-\[")
# `(n:Label`, `(:Label`, `n:Label` in a WHERE, `:Label:Other` — a colon glued to a capitalised
# name that is not a map key (`{key: value}` has a space after its colon).
_LABEL: Final = re.compile(r"(?<![\w'\"\[])(?:[a-z_]\w*)?:([A-Z][a-z][A-Za-z]*)\b(?!\s*[:(])")
_RELATIONSHIP: Final = re.compile(r"\[\w*:([A-Z][A-Z0-9_]*(?:\|:?[A-Z][A-Z0-9_]*)*)")
_QUOTED: Final = re.compile(r"'([A-Z][A-Z0-9_]+)'")
# ISO-8601 durations ('P1D', 'PT8H') are values of Cypher's duration(), not statuses.
_DURATION: Final = re.compile(r"^P(?:T?\d+[YMWDHS])+$")


def _enum_values() -> set[str]:
    values: set[str] = set()
    for item in vars(model).values():
        if isinstance(item, type) and issubclass(item, StrEnum) and item not in (Label, Rel):
            values.update(member.value for member in item)
    return values


LABELS: Final = {label.value for label in Label}
RELATIONSHIPS: Final = {rel.value for rel in Rel}
VALUES: Final = _enum_values()


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes (module, class, function): prose, not Cypher."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
        ):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def cypher_strings(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant of `path` that looks like Cypher; an f-string
    gives its constant parts joined with a placeholder where the values go."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = _docstrings(tree)
    inside_fstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            for value in node.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    inside_fstrings.add(id(value))
                    parts.append(value.value)
                else:
                    parts.append("{}")
            text = "".join(parts)
            if _CYPHER.search(text):
                yield node.lineno, text
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skipped
            and id(node) not in inside_fstrings
            and _CYPHER.search(node.value)
        ):
            yield node.lineno, node.value


def unknown_names(text: str) -> list[str]:
    """The labels, relationship types and quoted UPPER_CASE values of `text` that the model
    does not define."""
    unknown: list[str] = []
    for match in _LABEL.finditer(text):
        if match.group(1) not in LABELS:
            unknown.append(f":{match.group(1)}")
    for match in _RELATIONSHIP.finditer(text):
        for name in match.group(1).split("|"):
            name = name.lstrip(":")
            if name not in RELATIONSHIPS:
                unknown.append(f"[:{name}]")
    for match in _QUOTED.finditer(text):
        value = match.group(1)
        if value not in VALUES and not _DURATION.match(value):
            unknown.append(f"'{value}'")
    return unknown


def _sources() -> Iterator[Path]:
    for folder in SCANNED:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_every_cypher_name_is_defined_by_the_model() -> None:
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in _sources()
        for line, text in cypher_strings(path)
        for name in unknown_names(text)
    ]
    assert not problems, "Cypher names graph/model.py does not define:\n" + "\n".join(problems)


def test_the_scan_finds_what_it_must() -> None:
    """The scan can fail: an unknown label, relationship type or status is reported; the
    model's names, map keys, parameters and durations are not."""
    assert unknown_names("MATCH (b:Embargo {status: 'ACTIVE'})-[:BLOCKS]->(x) RETURN x") == [
        ":Embargo",
        "[:BLOCKS]",
    ]
    assert unknown_names("MATCH (r:Record) WHERE r.status = 'PUBLISHED' RETURN r") == [
        "'PUBLISHED'"
    ]
    assert (
        unknown_names(
            "MATCH (r:Record {key: $key})-[:SUPERSEDES*0..]->(o:Record)"
            "-[:DECIDED_BY|PROVIDED_BY]->(d) WHERE x:Department "
            "AND r.status = 'EFFECTIVE' RETURN r.publishUntil - duration('P1D')"
        )
        == []
    )
    assert unknown_names("CALL () { MATCH (n) RETURN n {.*, at: datetime()} AS m }") == []


def test_fstring_parts_are_scanned(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text(
        'def f(node: str) -> str:\n    """MATCH (x:Docstring) is prose."""\n'
        '    return f"MATCH ({node}:Ghost)-[:HAUNTS]->(y) RETURN y"\n',
        encoding="utf-8",
    )
    found = [name for _, text in cypher_strings(source) for name in unknown_names(text)]
    assert found == [":Ghost", "[:HAUNTS]"]
