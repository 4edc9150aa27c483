"""The provincial measures catalogue (全省统一的联合奖惩系统's 措施清单), imported by version.

The file is TOML like the city's catalogue (loaders/reference/demo/measures.toml): ``title``,
``version``, ``published_on`` and ``[[measure]]`` entries with ``code``, ``name``, ``category``
(行政性/市场性/行业性/社会性惩戒) and an optional ``basis``. A file without title or version is
refused whole; an entry with a bad field is refused by itself and reported (entry, field,
reason) while the rest is imported.

Each version is one ``(:ProvincialMeasureCatalogue)`` node with its measures' codes and names;
the latest imported version is ``current`` and supersedes the one before. The same version with
other content is refused (a changed catalogue is a new version); the same file again changes
nothing.

Every city measure (``(:Measure)``, the city's catalogue) is then compared with the current
provincial version, by code or by name: ``inProvincialCatalogue`` (false flags a city measure
the province does not list — the credit office sees it in the summary and on the measure),
``provincialCatalogueVersion`` and ``provincialCode``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import CHINA_TIME, single
from graph.model import Label, MeasureCategory, Rel

__all__ = [
    "ProvincialCatalogueError",
    "ProvincialMeasuresSummary",
    "import_provincial_measures",
]

_CODE: Final = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


class ProvincialCatalogueError(ValueError):
    """The file cannot be used as a provincial measures catalogue: nothing is written."""


@dataclass
class ProvincialMeasuresSummary:
    """What importing a provincial catalogue did, and the city measures it does not list."""

    file_name: str
    version: str
    title: str
    measures: int = 0
    status: str = "NEW"
    """NEW (a version first imported) or UNCHANGED (the same version and content again)."""
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    city_measures: int = 0
    not_in_province: list[tuple[str, str]] = field(default_factory=list)
    flags_changed: int = 0

    def render(self) -> str:
        """The summary as the credit office reads it."""
        state = "新版本 (new version)" if self.status == "NEW" else "未变化 (unchanged)"
        lines = [
            f"文件 (file)         {self.file_name}",
            f"清单 (catalogue)    {self.title} {self.version} — {state}",
            f"省级措施 (measures) {self.measures}",
            f"未导入 (refused)    {len(self.refused)}",
        ]
        lines += [f"    第{n}项 (measure #{n}) {f}: {why}" for n, f, why in self.refused]
        lines.append(
            f"本市措施 (city)     {self.city_measures}，不在省级清单中 (not in the provincial "
            f"catalogue): {len(self.not_in_province)}"
        )
        lines += [f"    ⚠ {code} {name}" for code, name in self.not_in_province]
        return "\n".join(lines)


def _name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def _category(value: Any) -> MeasureCategory | None:
    text = str(value).strip() if value is not None else ""
    return next((m for m in MeasureCategory if text in (m.label, m.value)), None)


def _read(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]], list[tuple[int, str, str]]]:
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ProvincialCatalogueError(
            f"{path.name}: 无法读取或不是有效的TOML (cannot read as TOML: {error})"
        ) from None
    missing = [k for k in ("title", "version") if not str(data.get(k) or "").strip()]
    entries = data.get("measure")
    if missing or not isinstance(entries, list) or not entries:
        what = "、".join(missing + ([] if isinstance(entries, list) and entries else ["measure"]))
        raise ProvincialCatalogueError(
            f"{path.name}: 缺少 {what} (a provincial catalogue needs title, version, measures)"
        )
    measures: list[dict[str, Any]] = []
    refused: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            refused.append((number, "", "须为表 (must be a table)"))
            continue
        code = str(entry.get("code") or "").strip()
        name = str(entry.get("name") or "").strip()
        category = _category(entry.get("category"))
        if not _CODE.match(code):
            refused.append((number, "code", "措施编码缺失或格式不符 (code missing or malformed)"))
        elif code in seen:
            refused.append((number, "code", f"措施编码 {code} 重复 (code given twice)"))
        elif len(name) < 2:
            refused.append((number, "name", "措施名称为必填项 (name required)"))
        elif category is None:
            allowed = "/".join(m.label for m in MeasureCategory)
            refused.append((number, "category", f"类别应为 {allowed} (category)"))
        else:
            seen.add(code)
            measures.append({"code": code, "name": name, "category": category.value})
    header = {
        "title": str(data["title"]).strip(),
        "version": str(data["version"]).strip(),
        "publishedOn": data.get("published_on"),
        "contentHash": hashlib.sha256(raw).hexdigest(),
    }
    return header, measures, refused


_EXISTING: Final = f"""
MATCH (c:{Label.PROVINCIAL_MEASURE_CATALOGUE} {{version: $version}})
RETURN c.contentHash AS hash
"""

_CREATE: Final = f"""
OPTIONAL MATCH (old:{Label.PROVINCIAL_MEASURE_CATALOGUE} {{current: true}})
CREATE (c:{Label.PROVINCIAL_MEASURE_CATALOGUE})
SET c = $props, c.current = true, c.importedAt = $at
WITH c, old
CALL (c, old) {{
  WITH c, old WHERE old IS NOT NULL
  SET old.current = false
  CREATE (c)-[:{Rel.SUPERSEDES}]->(old)
}}
RETURN c.version AS version
"""

# Flag every city measure against the current version: changed flags only, so a second import
# of the same catalogue writes nothing.
_FLAG: Final = f"""
MATCH (c:{Label.PROVINCIAL_MEASURE_CATALOGUE} {{current: true}})
MATCH (m:{Label.MEASURE})
WITH c, m,
     [i IN range(0, size(c.codes) - 1)
      WHERE c.codes[i] = m.code OR c.nameKeys[i] = $keys[m.code]] AS hits
WITH c, m, CASE WHEN hits = [] THEN null ELSE c.codes[hits[0]] END AS code
WITH c, m, code, code IS NOT NULL AS listed
CALL (c, m, code, listed) {{
  WITH c, m, code, listed
  WHERE m.inProvincialCatalogue IS NULL OR m.inProvincialCatalogue <> listed
     OR m.provincialCatalogueVersion IS NULL OR m.provincialCatalogueVersion <> c.version
     OR coalesce(m.provincialCode, '') <> coalesce(code, '')
  SET m.inProvincialCatalogue = listed, m.provincialCatalogueVersion = c.version,
      m.provincialCode = code
  RETURN count(*) AS changed
}}
RETURN m.code AS code, m.name AS name, listed, changed
ORDER BY code
"""

_CITY_NAMES: Final = f"MATCH (m:{Label.MEASURE}) RETURN m.code AS code, m.name AS name"


async def import_provincial_measures(
    db: Database, path: Path, *, today: datetime.date | None = None
) -> ProvincialMeasuresSummary:
    """Import one version of the provincial catalogue and flag the city measures not in it.

    Raises `ProvincialCatalogueError` for an unreadable file or a version already imported
    with other content (nothing written).
    """
    header, measures, refused = _read(path)
    summary = ProvincialMeasuresSummary(path.name, header["version"], header["title"])
    summary.measures = len(measures)
    summary.refused = refused
    now = datetime.datetime.now(CHINA_TIME)
    at = now if today is None else datetime.datetime.combine(today, now.timetz())
    city = await db.read(_CITY_NAMES)
    keys = {r["code"]: _name_key(r["name"] or "") for r in city}

    async def work(tx: neo4j.AsyncManagedTransaction) -> None:
        held = await single(tx, _EXISTING, {"version": header["version"]})
        if held is not None and held["hash"] != header["contentHash"]:
            raise ProvincialCatalogueError(
                f"{path.name}: 版本 {header['version']} 已导入且内容不同，"
                "修订后的清单须使用新版本号 "
                "(this version was imported with other content; a revised catalogue is a new "
                "version)"
            )
        if held is None:
            props = {
                **header,
                "codes": [m["code"] for m in measures],
                "names": [m["name"] for m in measures],
                "nameKeys": [_name_key(m["name"]) for m in measures],
                "categories": [m["category"] for m in measures],
                "refused": json.dumps(refused, ensure_ascii=False),
                "fileName": path.name,
            }
            await single(tx, _CREATE, {"props": props, "at": at})
        else:
            summary.status = "UNCHANGED"
        result = await tx.run(_FLAG, {"keys": keys})
        for row in [dict(r) async for r in result]:
            summary.city_measures += 1
            summary.flags_changed += row["changed"]
            if not row["listed"]:
                summary.not_in_province.append((row["code"], row["name"]))

    await db.write_transaction(work, metadata={"app": "credithub-exchange"})
    return summary
