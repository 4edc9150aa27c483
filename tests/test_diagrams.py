"""The pictures (issue 19): 关联图谱, 股权穿透图, risk evidence paths and record timelines, drawn
on the server as SVG from what the catalogue gives each viewer — against the fixture graph.

What is checked is what a viewer gets: well-formed SVG with the expected nodes and links, the
black-listed enterprise marked, a person's full name absent from the public's picture and
present in a department's (Person.name is `personal`), the ownership shares adding up, the
penetration and alert pictures refused to whom the catalogue refuses them.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from authz.identity import PUBLIC, Consumer
from graph.database import Connection, Database
from graph.identifiers import make_uscc
from graph.risk.scan import run_scan
from graph.risk.thresholds import load_thresholds
from hub.cli import main
from hub.diagrams.layout import layered
from hub.diagrams.svg import Diagram, Link, Node, Tag, render
from tests.conftest import ROOT, ClientFor
from tests.consumers import ADMIN, ASKERS
from tests.fixtures import E1, E2, E3, E4, P1, P2, P3, R2, R5_V2
from tests.processes import hub_env
from tests.test_one_policy import direct_permission_calls, kind_comparisons

SVG = "{http://www.w3.org/2000/svg}"

DEPARTMENT = next(a.consumer for a in ASKERS if a.name == "department (duty)")
BANK = next(a.consumer for a in ASKERS if a.name == "bank with consent")
OWN = next(a.consumer for a in ASKERS if a.name == "enterprise itself")


def _parse(text: str) -> ET.Element:
    """The SVG, parsed as XML (fails on anything not well-formed)."""
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}title").text  # type: ignore[union-attr]
    return root


def _nodes(root: ET.Element) -> dict[str, ET.Element]:
    return {
        g.get("data-id", ""): g
        for g in root.iter(f"{SVG}g")
        if g.get("class", "").startswith("node ")
    }


def _links(root: ET.Element) -> set[tuple[str, str]]:
    return {
        (g.get("data-source", ""), g.get("data-target", ""))
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "link"
    }


def _text(root: ET.Element) -> str:
    return " ".join("".join(e.itertext()) for e in root)


async def _get(client_for: ClientFor, consumer: Consumer, path: str) -> tuple[int, str, str]:
    async with client_for(consumer) as http:
        response = await http.get(path)
    return response.status_code, response.headers.get("content-type", ""), response.text


# -- 关联图谱 ------------------------------------------------------------------------------------
async def test_the_network_shows_the_people_shareholders_and_reached_enterprises(
    client_for: ClientFor,
) -> None:
    status, kind, text = await _get(client_for, PUBLIC, f"/enterprise/{E1}/graph.svg")
    assert status == 200 and kind.startswith("image/svg+xml")
    root = _parse(text)
    nodes = _nodes(root)
    # The enterprise, its legal representative (also controller, shareholder), its 总经理, its
    # enterprise shareholder, and the enterprises its legal representative also represents.
    assert {f"E:{E1}", f"P:{P1}", f"P:{P2}", f"E:{E4}", f"E:{E2}", f"E:{E3}"} <= set(nodes)
    links = _links(root)
    assert {(f"P:{P1}", f"E:{E1}"), (f"P:{P2}", f"E:{E1}"), (f"E:{E4}", f"E:{E1}")} <= links
    assert {(f"P:{P1}", f"E:{E2}"), (f"P:{P1}", f"E:{E3}")} <= links
    # Black-listed E1 is marked; E2 (its black-list entry removed) and the others are not.
    assert "失信" in nodes[f"E:{E1}"].get("data-tags", "").split()
    assert "失信" not in nodes[f"E:{E2}"].get("data-tags", "").split()
    assert "注销" in nodes[f"E:{E3}"].get("data-tags", "").split()
    # Node boxes never overlap one another.
    boxes = []
    for g in nodes.values():
        rect = g.find(f".//{SVG}rect")
        assert rect is not None
        x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
        boxes.append((x, y, x + float(rect.get("width", 0)), y + float(rect.get("height", 0))))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


async def test_a_persons_full_name_reaches_only_those_the_catalogue_gives_names(
    client_for: ClientFor,
) -> None:
    _, _, public = await _get(client_for, PUBLIC, f"/enterprise/{E1}/graph.svg")
    _, _, department = await _get(client_for, DEPARTMENT, f"/enterprise/{E1}/graph.svg")
    _, _, bank = await _get(client_for, BANK, f"/enterprise/{E1}/graph.svg")
    for name in ("张伟", "李娜"):
        assert name not in public and name not in bank
        assert name in _text(_parse(department))
    assert "张*" in _text(_parse(public)) and "李*" in _text(_parse(public))
    assert "去标识化" in public and "去标识化" not in department
    # Shares are financial: the bank and the department see them, the public does not.
    assert "40%" in bank and "40%" in department and "40%" not in public


async def test_the_enterprise_page_embeds_the_network_for_the_public_without_names(
    client_for: ClientFor,
) -> None:
    status, _, page = await _get(client_for, PUBLIC, f"/enterprise/{E1}")
    assert status == 200
    assert 'id="network"' in page and 'class="diagram-svg"' in page
    assert "张伟" not in page and "李娜" not in page
    # Penetration is not an operation of the public: no ownership picture on its page.
    assert 'id="ownership"' not in page
    assert 'id="timeline"' in page


async def test_the_disclosure_page_draws_for_the_public_whoever_opens_it(
    client_for: ClientFor,
) -> None:
    """The enterprise page is the public's (test_site): a department's token changes nothing
    there; its named pictures are on its own page, /department/network."""
    status, _, page = await _get(client_for, DEPARTMENT, f"/enterprise/{E1}")
    assert status == 200
    assert "张伟" not in page and 'id="ownership"' not in page


async def test_a_department_sees_names_and_the_ownership_on_its_network_page(
    client_for: ClientFor,
) -> None:
    status, _, page = await _get(client_for, DEPARTMENT, f"/department/network?q={E1}")
    assert status == 200
    assert "张伟" in page and 'id="ownership"' in page and "<svg" in page


async def test_an_unknown_enterprise_has_no_picture_and_a_wrong_code_is_a_bad_request(
    client_for: ClientFor,
) -> None:
    unknown = make_uscc("91", "410481", "XY999999")
    status, _, _ = await _get(client_for, PUBLIC, f"/enterprise/{unknown}/graph.svg")
    assert status == 404
    status, _, _ = await _get(client_for, PUBLIC, "/enterprise/91410481MA00000000/graph.svg")
    assert status == 400


# -- 股权穿透图 ----------------------------------------------------------------------------------
async def test_the_ownership_tree_reaches_the_ultimate_holders_and_their_shares_add_up(
    client_for: ClientFor,
) -> None:
    status, _, text = await _get(client_for, BANK, f"/enterprise/{E1}/ownership.svg")
    assert status == 200
    root = _parse(text)
    nodes = _nodes(root)
    assert {E1, P1, E4, P3} <= set(nodes)
    assert {(P1, E1), (E4, E1), (P3, E4)} <= _links(root)
    ultimate = {code: g for code, g in nodes.items() if g.get("data-ultimate") == "1"}
    assert set(ultimate) == {P1, P3}
    shares = {code: float(g.get("data-effective-share", "nan")) for code, g in ultimate.items()}
    assert shares == {P1: pytest.approx(0.6), P3: pytest.approx(0.4)}
    assert math.isclose(sum(shares.values()), 1.0)
    # The legal representative controls (recorded, and by majority) and is a beneficial owner.
    assert {"最终股东", "受益所有人", "控制人"} <= set(nodes[P1].get("data-tags", "").split())
    assert "张伟" not in text  # a bank's classes hold no personal names


async def test_the_ownership_picture_is_refused_where_the_catalogue_refuses_penetration(
    client_for: ClientFor,
) -> None:
    status, _, page = await _get(client_for, PUBLIC, f"/enterprise/{E1}/ownership.svg")
    assert status == 403 and "<svg" not in page


def test_credithub_ownership_prints_the_tree(
    db: Database, neo4j_connection: Connection, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main, ["ownership", "--uscc", E1], env=hub_env(neo4j_connection, tmp_path)
    )
    assert result.exit_code == 0, result.output
    tree = result.output[result.output.index("股权结构") :].splitlines()
    top = [line for line in tree if re.match(r"^  [├└]─", line)]
    assert len(top) == 2 and "60%" in top[0] and "40%" in top[1]
    shares = [re.findall(r"([\d.]+)%", line)[0] for line in top]
    assert sum(float(share) for share in shares) == 100
    nested = [line for line in tree if re.match(r"^  [│ ]  [├└]─", line)]
    assert len(nested) == 1 and "100%" in nested[0]
    assert "张伟" not in result.output  # the terminal prints masked names


# -- 风险预警路径 --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def contagion_alert(db: Database, client_for: ClientFor) -> AsyncIterator[str]:
    """A scan over the fixture graph: E2 and E3 share their legal representative with the
    black-listed E1 (关联风险传导). Alerts, scans and their notices are removed after."""
    await run_scan(db, today=date(2026, 11, 28), thresholds=load_thresholds())
    async with client_for(ADMIN) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": "query($s: String) { riskAlerts(subject: $s, signal: CONTAGION) "
                "{ nodes { id } } }",
                "variables": {"s": E2},
            },
        )
    nodes = response.json()["data"]["riskAlerts"]["nodes"]
    assert nodes, response.text
    yield nodes[0]["id"]
    await db.write(
        "MATCH (n) WHERE n:RiskAlert OR n:RiskScan OR (n:Notice AND n.kind = 'RISK_ALERT') "
        "DETACH DELETE n"
    )


async def test_an_alerts_evidence_path_is_drawn_for_whom_the_catalogue_allows(
    client_for: ClientFor, contagion_alert: str
) -> None:
    path = f"/risk/alerts/{contagion_alert}.svg"
    status, _, text = await _get(client_for, DEPARTMENT, path)
    assert status == 200
    root = _parse(text)
    nodes = _nodes(root)
    assert {f"Enterprise:{E2}", f"Person:{P1}", f"Enterprise:{E1}"} <= set(nodes)
    links = {frozenset(link) for link in _links(root)}
    assert frozenset({f"Person:{P1}", f"Enterprise:{E2}"}) in links
    assert frozenset({f"Person:{P1}", f"Enterprise:{E1}"}) in links
    assert "张伟" in text  # a department's classes hold names
    for refused in (PUBLIC, BANK):
        status, _, body = await _get(client_for, refused, path)
        assert status == 403 and "<svg" not in body
    status, _, _ = await _get(client_for, DEPARTMENT, "/risk/alerts/no-such-alert.svg")
    assert status == 404


# -- 信用记录时间轴 -------------------------------------------------------------------------------
def _lanes(text: str) -> dict[str, set[str]]:
    root = _parse(text)
    return {
        g.get("data-record", ""): {
            s.get("data-step", "") for s in g.iter(f"{SVG}g") if s.get("data-step")
        }
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "lane"
    }


async def test_the_timeline_shows_each_viewer_the_steps_of_the_records_it_may_see(
    client_for: ClientFor,
) -> None:
    _, _, public = await _get(client_for, PUBLIC, f"/enterprise/{E1}/timeline.svg")
    _, _, office = await _get(client_for, ADMIN, f"/enterprise/{E1}/timeline.svg")
    public_lanes, office_lanes = _lanes(public), _lanes(office)
    assert public_lanes and all(
        {"decided", "published"} <= steps for steps in public_lanes.values()
    )
    # The repaired record and the corrected licence are outside the public's view.
    assert R2["key"] not in public_lanes and R5_V2["key"] not in public_lanes
    assert "repaired" in office_lanes[R2["key"]]
    assert "corrected" in office_lanes[R5_V2["key"]]
    assert "食品经营许可(更正)" in office


# -- the drawing itself ------------------------------------------------------------------------
def test_text_is_escaped_and_the_drawing_stays_well_formed() -> None:
    nasty = '<script>alert("x")</script> & 舞钢'
    svg = render(
        Diagram(
            id="t<1>",
            title=nasty,
            description=nasty,
            nodes=(
                Node("a", nasty, nasty, tags=(Tag("失<信>", "#c0392b", outline=True),)),
                Node("b", "乙", "乙", href='/x?a=1&b="2"'),
            ),
            links=(Link("a", "b", title=nasty, label=nasty),),
            notes=(nasty,),
        )
    )
    root = _parse(svg)
    assert "<script>" not in svg and nasty in _text(root)
    assert root.find(f".//{SVG}script") is None


def test_the_layout_layers_sources_above_targets_and_survives_a_cycle() -> None:
    layout = layered(
        [(n, 80, 30) for n in "abcd"], [("a", "b"), ("b", "c"), ("c", "a"), ("a", "d")]
    )
    assert set(layout.boxes) == set("abcd")
    assert layout.boxes["a"].y < layout.boxes["b"].y < layout.boxes["c"].y
    assert {(r.source, r.target) for r in layout.routes} == {
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
        ("a", "d"),
    }
    assert all(len(r.points) >= 2 for r in layout.routes)
    # Two parts that are not connected are set side by side, never on top of each other.
    apart = layered([("x", 50, 20), ("y", 50, 20)], [])
    x, y = apart.boxes["x"], apart.boxes["y"]
    assert abs(x.x - y.x) >= 50


def test_the_diagrams_decide_nothing_themselves() -> None:
    """No module of hub/diagrams compares consumer kinds or asks the catalogue: the data come
    through the kernel, where the catalogue decided them (tests/test_one_policy.py's checks)."""
    for path in sorted((ROOT / "hub" / "diagrams").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert kind_comparisons(text) == [] and direct_permission_calls(text) == [], path
        assert "hub.site" not in text and "starlette" not in text, path
