"""The project's structure, checked from its source: who may import whom, no cycles, one kernel.

- Dependencies point one way: ``hub → authz, loaders → graph``; nothing imports ``hub``;
  ``authz`` and ``loaders`` do not import each other; ``graph`` imports none of them.
- No two subpackages depend on each other, directly or round a longer loop (``hub.api`` and
  ``hub.reports``, ``graph.lifecycle`` and ``graph.evaluation`` were such pairs): the import
  graph of the subpackages has no strongly connected component of more than one node.
- The graph layer never names the audit store's nodes: who was served a subject's records is
  the graph's own ``(:Recipient)``, noted by authz/audit.py with each entry.
- A request context is made in one place (hub/kernel.py `request_context`), and the kernel sits
  below the surfaces that use it.

The import graph is read with `ast` (no module is imported), every import counted, including
those inside functions: a cycle broken only by a deferred import is still a cycle.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import neo4j

from authz import audit
from authz.audit import AuditEvent
from authz.identity import Consumer, OrgKind
from graph.database import Database
from graph.lifecycle.notices import earlier_recipients
from graph.model import Label, Rel

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hub", "graph", "authz", "loaders")

ALLOWED: dict[str, frozenset[str]] = {
    "hub": frozenset({"authz", "loaders", "graph"}),
    "authz": frozenset({"graph"}),
    "loaders": frozenset({"graph"}),
    "graph": frozenset(),
}
"""Which other top-level packages each package may import."""

AUDIT_NAMES = ("AuditEntry", "AuditChain", "AUDIT_ENTRY", "AUDIT_CHAIN", ":ABOUT", "Rel.ABOUT")
"""How Cypher or Python would name the audit store's nodes and links."""

AUDIT_NAMES_ALLOWED_IN = frozenset({"graph/model.py", "graph/migrations.py"})
"""The model names every label of the database (so no Cypher spells an unknown one), and the
migrations declare the constraints and indexes of every store kept in it; neither reads them."""


@dataclass(frozen=True)
class Import:
    """One import of a project module by another."""

    importer: str
    imported: str
    line: int


def _modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The project modules an import statement names (a `from p import m` names `p.m` when it
    is a module, else `p`)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name:
                yield name
        return
    if node.level:
        package = module.split(".")
        if MODULES[module].name != "__init__.py":
            package = package[:-1]
        base = package[: len(package) - node.level + 1]
        prefix = ".".join([*base, *([node.module] if node.module else [])])
    else:
        prefix = node.module or ""
    for alias in node.names:
        if f"{prefix}.{alias.name}" in MODULES:
            yield f"{prefix}.{alias.name}"
        elif prefix in MODULES:
            yield prefix


def _imports() -> list[Import]:
    found: list[Import] = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [Import(module, t, node.lineno) for t in _targets(module, node)]
    return found


IMPORTS = _imports()


def _unit(module: str) -> str:
    """The subpackage a module belongs to (``hub.api``, ``graph.lifecycle`` …); a module at a
    package's top (``hub.app``, ``graph.model``) is a unit of its own."""
    parts = module.split(".")
    if len(parts) >= 3 or (len(parts) == 2 and MODULES[module].name == "__init__.py"):
        return ".".join(parts[:2])
    return module


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one node, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _cycles() -> list[str]:
    """Each cycle between subpackages, with the imports that make it."""
    edges: dict[str, set[str]] = {}
    for i in IMPORTS:
        if _unit(i.importer) != _unit(i.imported):
            edges.setdefault(_unit(i.importer), set()).add(_unit(i.imported))
    described = []
    for component in _strongly_connected(edges):
        members = set(component)
        links = sorted(
            f"{i.importer}:{i.line} → {i.imported}"
            for i in IMPORTS
            if _unit(i.importer) in members
            and _unit(i.imported) in members
            and _unit(i.importer) != _unit(i.imported)
        )
        described.append(" ↔ ".join(component) + ": " + "; ".join(links))
    return described


# -- the dependency direction ------------------------------------------------------------------
def test_the_import_graph_is_read() -> None:
    """The checks below see the real imports (a broken reader would pass them vacuously)."""
    assert len(MODULES) > 100
    pairs = {(i.importer, i.imported) for i in IMPORTS}
    assert ("hub.app", "hub.kernel") in pairs
    assert ("authz.audit", "graph.model") in pairs
    assert ("graph.lifecycle.repair", "graph.lifecycle.notices") in pairs


def test_dependencies_point_from_hub_to_authz_and_loaders_to_graph() -> None:
    wrong = sorted(
        f"{i.importer}:{i.line} imports {i.imported}"
        for i in IMPORTS
        if (importer := i.importer.split(".")[0]) != (imported := i.imported.split(".")[0])
        and imported not in ALLOWED[importer]
    )
    assert wrong == []


def test_no_two_subpackages_depend_on_each_other() -> None:
    assert _cycles() == []


def test_a_cycle_would_be_found() -> None:
    """The cycle finder itself, on the shapes it must catch and the ones it must not."""
    assert _strongly_connected({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "d": {"a", "c"}}) == []


def test_the_kernel_sits_below_every_surface_that_uses_it() -> None:
    kernel_imports = {_unit(i.imported) for i in IMPORTS if i.importer == "hub.kernel"}
    assert not kernel_imports & {"hub.api", "hub.reports", "hub.site", "hub.app"}
    users = {_unit(i.importer) for i in IMPORTS if i.imported == "hub.kernel"}
    assert {"hub.app", "hub.api", "hub.reports", "hub.site"} <= users


# -- one request context ------------------------------------------------------------------------
def test_request_contexts_are_made_only_by_the_kernel() -> None:
    """The GraphQL endpoint, the site and the reports all get theirs from `request_context`."""
    made = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
                == "RequestContext"
            ):
                made.append(f"{module}:{node.lineno}")
    assert [m.partition(":")[0] for m in made] == ["hub.kernel"], made


# -- the graph and the audit store ---------------------------------------------------------------
def test_the_graph_layer_never_names_the_audit_store() -> None:
    pattern = re.compile("|".join(re.escape(name) + r"\b" for name in AUDIT_NAMES))
    named = []
    for module, path in MODULES.items():
        relative = path.relative_to(ROOT).as_posix()
        if module.split(".")[0] != "graph" or relative in AUDIT_NAMES_ALLOWED_IN:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                named.append(f"{relative}:{number}: {line.strip()}")
    assert named == []


STAFF = Consumer(subject="architecture-test", org_code="91410481ARCHITEST01", org_kind=OrgKind.BANK)
SUBJECT = "91410481ARCHSUBJ01"


async def _recipients(db: Database, since: str) -> list[str]:
    async def read(tx: neo4j.AsyncManagedTransaction) -> list[str]:
        return await earlier_recipients(tx, SUBJECT, date.fromisoformat(since))

    return await db.write_transaction(read)


async def test_an_audit_entry_releasing_records_notes_its_recipient_in_the_graph(
    db: Database,
) -> None:
    """What `earlier_recipients` reads is the graph's own fact, written with the entry; older
    entries (before the facts were noted) are noted once by `note_recipients`."""
    await db.write(
        f"MERGE (:{Label.ENTERPRISE} {{uscc: $uscc, name: '架构测试有限公司'}})", {"uscc": SUBJECT}
    )
    try:
        at = datetime(2026, 3, 1, tzinfo=UTC)
        served = AuditEvent(
            "arch-1", STAFF, "query", subjects=(SUBJECT,), released=("Record.title",)
        )
        await audit.append(db, served, now=at)
        names_only = AuditEvent(
            "arch-2", STAFF, "query", subjects=(SUBJECT,), released=("Enterprise.name",)
        )
        await audit.append(db, names_only, now=datetime(2026, 6, 1, tzinfo=UTC))
        assert await _recipients(db, "2026-02-28") == [STAFF.org_code]
        assert await _recipients(db, "2026-03-02") == [], "served before the record was out"

        # An entry written before recipients were noted: the fact is missing until noted.
        await db.write(
            f"MATCH (v:{Label.RECIPIENT})-[:{Rel.RECEIVED_RECORDS_OF}]->"
            f"(:{Label.ENTERPRISE} {{uscc: $uscc}}) DETACH DELETE v",
            {"uscc": SUBJECT},
        )
        assert await _recipients(db, "2026-02-28") == []
        await db.write("MATCH (c:AuditChain) REMOVE c.recipientsNoted")
        assert await audit.note_recipients(db) >= 1
        assert await _recipients(db, "2026-02-28") == [STAFF.org_code]
        [fact] = await db.read(
            f"MATCH (v:{Label.RECIPIENT})-[:{Rel.RECEIVED_RECORDS_OF}]->"
            f"(:{Label.ENTERPRISE} {{uscc: $uscc}}) RETURN v.firstAt AS first, v.lastAt AS last",
            {"uscc": SUBJECT},
        )
        assert fact["first"] == fact["last"] == audit.utc_iso(at)
        assert await audit.note_recipients(db) == 0, "noted once per database"
    finally:
        await db.write(
            f"MATCH (s:{Label.ENTERPRISE} {{uscc: $uscc}}) "
            f"OPTIONAL MATCH (v:{Label.RECIPIENT})-[:{Rel.RECEIVED_RECORDS_OF}]->(s) "
            "DETACH DELETE v, s",
            {"uscc": SUBJECT},
        )
