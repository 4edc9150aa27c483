"""GB/T 4754-2017 门类: the letter a task names a sector by, and the name enterprises carry.

Feeds and the demo data store an enterprise's industry as the 门类 name (制造业); a task's scope
is written with the letters (C). Both are accepted wherever an enterprise's industry is matched.
"""

from __future__ import annotations

from typing import Final

from graph.lifecycle.base import InvalidInput

SECTIONS: Final = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}
"""门类 letter → name."""


def sector_letters(values: list[str] | None) -> tuple[str, ...]:
    """The task's sectors as sorted distinct letters; () for all sectors.

    A 门类 name is accepted for its letter; anything else is refused naming the value.
    """
    by_name = {name: letter for letter, name in SECTIONS.items()}
    letters: set[str] = set()
    for raw in values or []:
        value = raw.strip()
        letter = value.upper() if value.upper() in SECTIONS else by_name.get(value)
        if letter is None:
            raise InvalidInput(
                "sectors",
                f"“{value}”不是国民经济行业分类（GB/T 4754-2017）门类 (not a GB/T 4754 section)",
            )
        letters.add(letter)
    return tuple(sorted(letters))


def industry_values(letters: tuple[str, ...]) -> list[str]:
    """What an enterprise's `industry` may hold to be in scope: the letters and their names."""
    return [*letters, *(SECTIONS[letter] for letter in letters)]


def sector_label(letters: tuple[str, ...] | list[str]) -> str:
    """The sectors as people read them: 'C 制造业、E 建筑业', or 全部行业."""
    if not letters:
        return "全部行业"
    return "、".join(f"{letter} {SECTIONS[letter]}" for letter in letters)
