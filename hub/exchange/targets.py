"""The connected systems the hub exchanges with (hub/exchange/targets.toml), checked on load.

Each target says what it receives, in which file format and how it is delivered. A target's
kind decides what it may receive at all: a publication target (信用河南, 信用平顶山, 国家企业
信用信息公示系统（河南）) takes public record kinds, list entries and repair results only, never
the departments-only credit grades; the joint-punishment system takes measure feedback; the
“互联网+监管” system takes inspection tasks, drawn objects and grades. A bad file is refused with
its path, the target and the field named, so a clerk editing it knows where to look.
"""

from __future__ import annotations

import os
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from graph.model import RecordKind

__all__ = [
    "TARGETS_FILE",
    "DirectoryDelivery",
    "ExchangeFormat",
    "Feed",
    "HttpDelivery",
    "Target",
    "TargetKind",
    "Targets",
    "TargetsError",
    "default_home",
    "load_targets",
]

TARGETS_FILE: Final = Path(__file__).with_name("targets.toml")


class TargetKind(StrEnum):
    """What kind of connected system a target is."""

    PUBLICATION = "publication"
    JOINT_PUNISHMENT = "joint-punishment"
    INTERNET_SUPERVISION = "internet-supervision"


class ExchangeFormat(StrEnum):
    """The file formats a target may ask for."""

    CSV_UTF8 = "csv-utf8"
    CSV_GB18030 = "csv-gb18030"
    XLSX = "xlsx"
    JSON = "json"

    @property
    def extension(self) -> str:
        """The data files' extension."""
        return {"csv-utf8": "csv", "csv-gb18030": "csv"}.get(self.value, self.value)


class Feed(StrEnum):
    """What goes up besides the record kinds (RecordKind names are feeds too)."""

    BLACK_LIST = "BLACK_LIST"
    RED_LIST = "RED_LIST"
    REPAIR = "REPAIR"
    MEASURE_APPLICATION = "MEASURE_APPLICATION"
    INSPECTION_TASK = "INSPECTION_TASK"
    INSPECTION_OBJECT = "INSPECTION_OBJECT"
    CREDIT_GRADE = "CREDIT_GRADE"


_RECORD_NAMES: Final = frozenset(k.value for k in RecordKind)

ALLOWED: Final[dict[TargetKind, frozenset[str]]] = {
    TargetKind.PUBLICATION: _RECORD_NAMES | {Feed.BLACK_LIST, Feed.RED_LIST, Feed.REPAIR},
    TargetKind.JOINT_PUNISHMENT: frozenset({Feed.MEASURE_APPLICATION}),
    # Departments only (分级分类 needs the grades): never a publication target's.
    TargetKind.INTERNET_SUPERVISION: frozenset(
        {Feed.INSPECTION_TASK, Feed.INSPECTION_OBJECT, Feed.CREDIT_GRADE}
    ),
}
"""What each kind of target may receive."""


class DirectoryDelivery(BaseModel):
    """A file drop: the export directory is copied under `path`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["directory"]
    path: Path | None = None
    """None: ``<CREDITHUB_HOME>/exchange/<target>/outbox``; relative: under CREDITHUB_HOME."""


class HttpDelivery(BaseModel):
    """An HTTP endpoint receiving each file and the manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["http"]
    url: str = Field(pattern=r"^https?://\S+$")
    auth: Literal["bearer", "none"] = "bearer"
    token_env: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]*$", validate_default=True)
    """The environment variable holding the bearer token (never the token in the file)."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    attempts: int = Field(default=5, ge=1, le=20)
    backoff_seconds: float = Field(default=2.0, ge=0, le=3600)

    @field_validator("token_env")
    @classmethod
    def _bearer_needs_token(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Bearer authentication names the variable its token comes from."""
        if info.data.get("auth", "bearer") == "bearer" and not value:
            raise ValueError("auth = 'bearer' needs token_env (the variable holding the token)")
        return value


Delivery = Annotated[DirectoryDelivery | HttpDelivery, Field(discriminator="type")]


class Target(BaseModel):
    """One connected system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: str = Field(min_length=1)
    kind: TargetKind
    receives: tuple[str, ...] = Field(min_length=1)
    format: ExchangeFormat
    delivery: Delivery

    @field_validator("receives")
    @classmethod
    def _what_the_kind_may(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """A target receives only what its kind may: grades never go to a public system."""
        kind = info.data.get("kind")
        if kind is None:
            return value
        allowed = ALLOWED[kind]
        wrong = [name for name in value if name not in allowed]
        if wrong:
            raise ValueError(
                f"a {kind.value} target cannot receive {', '.join(wrong)} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
        if len(set(value)) != len(value):
            raise ValueError("names a kind twice")
        return value

    @property
    def public(self) -> bool:
        """Whether what this target receives is shown to the public (only public data)."""
        return self.kind is TargetKind.PUBLICATION

    def outbox(self, home: Path) -> Path | None:
        """The directory a file drop goes to (None for an HTTP endpoint)."""
        if not isinstance(self.delivery, DirectoryDelivery):
            return None
        path = self.delivery.path
        if path is None:
            return home / "exchange" / self.code / "outbox"
        return path if path.is_absolute() else home / path


class Targets(BaseModel):
    """Every connected system by its code."""

    model_config = ConfigDict(frozen=True)

    targets: dict[str, Target]

    def get(self, code: str) -> Target:
        """The target `code`; `TargetsError` naming the known ones otherwise."""
        try:
            return self.targets[code]
        except KeyError:
            known = ", ".join(sorted(self.targets))
            raise TargetsError(f"unknown exchange target {code!r} (known: {known})") from None


class TargetsError(ValueError):
    """The targets file is missing, unreadable or wrong (the message names file, target, field)."""


def default_home() -> Path:
    """CREDITHUB_HOME as the settings read it (``.credithub`` when unset)."""
    return Path(os.environ.get("CREDITHUB_HOME") or ".credithub")


def load_targets(path: Path = TARGETS_FILE) -> Targets:
    """Read and check the targets file; `TargetsError` names the file, target and field."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise TargetsError(f"{path}: cannot read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise TargetsError(f"{path}: not valid TOML ({error})") from None
    tables = data.get("targets")
    if not isinstance(tables, dict) or not tables:
        raise TargetsError(f"{path}: no [targets.<code>] tables")
    targets: dict[str, Target] = {}
    for code, table in tables.items():
        if not isinstance(table, dict):
            raise TargetsError(f"{path}: target {code}: not a table")
        try:
            targets[code] = Target.model_validate({**table, "code": code})
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(target)"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise TargetsError(f"{path}: target {code}: field {where}: {message}") from None
    return Targets(targets=targets)
