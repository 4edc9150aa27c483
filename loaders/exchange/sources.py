"""The upper systems that send data down to the city, each a registered organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from graph.model import ExchangeLevel

__all__ = [
    "EXCHANGE_SOURCES",
    "INTERNET_SUPERVISION",
    "ExchangeSource",
    "UnknownExchangeSource",
    "exchange_source",
]


@dataclass(frozen=True)
class ExchangeSource:
    """One upper system: its key on the command line, its level and its organisation's code."""

    key: str
    level: ExchangeLevel
    name: str
    code: str
    """The USCC it is registered under (reference data); batches and links name it."""


PROVINCE: Final = ExchangeSource(
    "province", ExchangeLevel.PROVINCE, "河南省信用信息共享平台", "114100000057000149"
)
NATIONAL: Final = ExchangeSource(
    "national", ExchangeLevel.NATIONAL, "全国信用信息共享平台", "11100000005700022U"
)
INTERNET_SUPERVISION: Final = ExchangeSource(
    "internet-supervision",
    ExchangeLevel.PROVINCE,
    "河南省“互联网+监管”系统",
    "11410000005700030Y",
)

EXCHANGE_SOURCES: Final = {s.key: s for s in (PROVINCE, NATIONAL)}
"""The systems whose list files `credithub exchange import province|national FILE` loads."""


class UnknownExchangeSource(LookupError):
    """A source key that names no upper system."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"未知的下发来源 {key!r} (unknown source; one of {', '.join(EXCHANGE_SOURCES)})"
        )


def exchange_source(key: str) -> ExchangeSource:
    """The list source called ``key`` (`province` or `national`)."""
    try:
        return EXCHANGE_SOURCES[key]
    except KeyError:
        raise UnknownExchangeSource(key) from None
