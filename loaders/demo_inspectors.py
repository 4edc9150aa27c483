"""The demo city's 执法检查人员名录: a deterministic roster of inspectors per department.

Drawn from its own `random.Random(seed + 4)`, so adding the roster leaves every other part of
the demo data as it was. Each department gets 6–14 inspectors, about one in ten not in post
(inactive: kept in the roster, never drawn). 执法证号 here is the city's region code, the
department's place in the list and a serial: 4104810 + 2 + 4 digits.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any, Final

from graph.database import Database
from graph.supervision.roster import save_inspectors

_SURNAMES: Final = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_GIVEN: Final = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红文斌鹏辉宁"

SEED_OFFSET: Final = 4
MIN_INSPECTORS: Final = 6
MAX_INSPECTORS: Final = 14


def roster_rows(
    departments: Sequence[Mapping[str, Any]], seed: int
) -> dict[str, list[tuple[str, str, bool]]]:
    """Department code → its inspectors as (name, 执法证号, active), the same for the same seed."""
    rng = random.Random(seed + SEED_OFFSET)
    roster: dict[str, list[tuple[str, str, bool]]] = {}
    for index, department in enumerate(departments, start=1):
        count = rng.randint(MIN_INSPECTORS, MAX_INSPECTORS)
        people = []
        for serial in range(1, count + 1):
            given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
            name = rng.choice(_SURNAMES) + given
            active = rng.random() >= 0.1
            people.append((name, f"4104810{index:02d}{serial:04d}", active))
        roster[department["code"]] = people
    return roster


async def seed_inspectors(db: Database, departments: Sequence[Mapping[str, Any]], seed: int) -> int:
    """Save the demo roster of every department; saving it again changes nothing."""
    saved = 0
    for code, people in roster_rows(departments, seed).items():
        saved += await save_inspectors(db, code, people)
    return saved
