"""GraphiQL's browser files, fetched once at install time and served by the hub itself.

The page at /graphql must work on a network that reaches nothing but the hub (a government
network), so it never loads a script from a CDN. `credithub assets` (run by the `./credithub`
script before `up`, `serve` and `test`) downloads the npm tarballs of the pinned versions below
from a registry (``--registry``, or ``CREDITHUB_NPM_REGISTRY`` for a mirror) — or takes them
from a directory (``--from DIR``, for a machine without any registry) — checks each against its
pinned sha512 integrity (the value npm's lockfiles carry), and extracts only the few files the
page needs into `VENDOR` (ignored by git; package data of a wheel built after the fetch).
A tarball that does not match its integrity is refused and nothing is written.

React 18 is the last React with UMD builds (React 19 has none); GraphiQL 3 is the last
GraphiQL with a UMD build (`graphiql.min.js`, which bundles everything but React).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click
import httpx

VENDOR = Path(__file__).resolve().parent / "vendor"
"""Where the extracted files live: ``VENDOR/<name>-<version>/<file>`` (gitignored)."""

DEFAULT_REGISTRY = "https://registry.npmjs.org"

REGISTRY_VARIABLE = "CREDITHUB_NPM_REGISTRY"

FETCH_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class NpmPackage:
    """One pinned npm package and the files of its tarball the page needs."""

    name: str
    version: str
    integrity: str
    """``sha512-<base64>``, as `npm view <name>@<version> dist.integrity` prints it."""
    files: tuple[str, ...]
    """Paths inside the tarball (under ``package/``); each is kept under its base name."""

    @property
    def directory(self) -> str:
        """The directory under `VENDOR` (and the URL segment) holding its files."""
        return f"{self.name}-{self.version}"

    @property
    def tarball(self) -> str:
        """The tarball's file name, as the registry and `npm pack` name it."""
        return f"{self.name}-{self.version}.tgz"

    def url(self, registry: str) -> str:
        """Where `registry` serves the tarball."""
        return f"{registry.rstrip('/')}/{self.name}/-/{self.tarball}"

    def served(self, file: str) -> str:
        """The path (under the asset URL prefix) at which the hub serves one of its files."""
        return f"{self.directory}/{Path(file).name}"


REACT = NpmPackage(
    "react",
    "18.3.1",
    "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
    ("umd/react.production.min.js", "LICENSE"),
)
REACT_DOM = NpmPackage(
    "react-dom",
    "18.3.1",
    "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
    ("umd/react-dom.production.min.js", "LICENSE"),
)
GRAPHIQL = NpmPackage(
    "graphiql",
    "3.8.3",
    "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
    ("graphiql.min.js", "graphiql.min.css", "LICENSE"),
)
PACKAGES = (REACT, REACT_DOM, GRAPHIQL)
"""In the order the page loads them: GraphiQL's UMD build expects React and ReactDOM globals."""

SCRIPTS = (
    REACT.served("umd/react.production.min.js"),
    REACT_DOM.served("umd/react-dom.production.min.js"),
    GRAPHIQL.served("graphiql.min.js"),
)
"""The vendor scripts of the page, in loading order (paths under the asset URL prefix)."""

STYLESHEET = GRAPHIQL.served("graphiql.min.css")


class AssetError(RuntimeError):
    """A tarball could not be fetched, or is not the pinned one."""


def missing_assets(vendor: Path = VENDOR) -> list[str]:
    """The needed files (paths under `vendor`) that are not installed; empty when all are."""
    return [
        package.served(file)
        for package in PACKAGES
        for file in package.files
        if not (vendor / package.served(file)).is_file()
    ]


def check_integrity(package: NpmPackage, data: bytes) -> None:
    """Raise `AssetError` unless `data` is the tarball `package` pins (sha512 integrity)."""
    algorithm, _, expected = package.integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")
    if digest != expected:
        raise AssetError(
            f"{package.tarball} 校验失败，与锁定的版本不符 (integrity mismatch: expected "
            f"{package.integrity}, got {algorithm}-{digest})"
        )


def extract(package: NpmPackage, data: bytes, target: Path) -> None:
    """Write the files `package` needs from its tarball `data` into ``target/<directory>``.

    Only the named members are read and each is written under its own base name, so a
    tarball's paths never decide where anything is written.
    """
    directory = target / package.directory
    directory.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for file in package.files:
            member = archive.extractfile(f"package/{file}")
            if member is None:
                raise AssetError(f"{package.tarball} 中没有 package/{file}")
            (directory / Path(file).name).write_bytes(member.read())


def _tarball(package: NpmPackage, registry: str, source: Path | None) -> bytes:
    if source is not None:
        path = source / package.tarball
        if not path.is_file():
            raise AssetError(f"{path} 不存在 (npm pack {package.name}@{package.version} 可生成)")
        return path.read_bytes()
    url = package.url(registry)
    try:
        response = httpx.get(url, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise AssetError(f"无法下载 {url} (could not fetch: {error})") from None
    return response.content


def install_assets(
    vendor: Path = VENDOR,
    *,
    registry: str = DEFAULT_REGISTRY,
    source: Path | None = None,
    packages: tuple[NpmPackage, ...] = PACKAGES,
) -> list[str]:
    """Fetch (or read from `source`), check and extract each of `packages` into `vendor`.

    All tarballs are checked before anything is written; the new tree replaces the old one in
    one rename, so the hub never serves a half-installed set. Returns what was installed.
    """
    tarballs = {package: _tarball(package, registry, source) for package in packages}
    for package, data in tarballs.items():
        check_integrity(package, data)
    vendor.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".vendor-", dir=vendor.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; these are public files
    try:
        for package, data in tarballs.items():
            extract(package, data, staging)
        manifest = {p.name: {"version": p.version, "integrity": p.integrity} for p in packages}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if vendor.exists():
            shutil.rmtree(vendor)
        os.replace(staging, vendor)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [f"{p.name}@{p.version}" for p in packages]


@click.command(name="assets")
@click.option(
    "--registry",
    envvar=REGISTRY_VARIABLE,
    default=DEFAULT_REGISTRY,
    show_default=True,
    help=f"npm registry (or mirror) to fetch from; also {REGISTRY_VARIABLE}.",
)
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Take the tarballs from this directory (npm pack output) instead of a registry.",
)
@click.option("--if-missing", is_flag=True, help="Do nothing when every file is installed.")
def assets_command(registry: str, source: Path | None, if_missing: bool) -> None:
    """安装 GraphiQL 页面所需的前端文件（不依赖 CDN）。Fetch GraphiQL's browser files.

    Downloads graphiql, react and react-dom at pinned versions, checks their sha512 integrity
    and extracts the files /graphql serves, so GraphiQL works on a closed network.

    \b
    示例 (examples):
      credithub assets
      credithub assets --registry https://registry.npmmirror.com
      credithub assets --from /media/usb/npm-tarballs
    """
    if if_missing and not missing_assets():
        return
    try:
        installed = install_assets(registry=registry, source=source)
    except AssetError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"GraphiQL 前端文件已安装 (installed {', '.join(installed)}) → {VENDOR}", err=True)
