"""The officials' manual of `credithub`: a Chinese summary, the arguments and worked examples
for every command, shown by ``credithub <command> --help``.

The commands are written by many modules (hub/cli*.py, hub/graphiql); their English docstrings
stay the developers' description. What a clerk reads first — one Chinese line in the command
list, the Chinese explanation, each option's meaning in Chinese, and examples to copy — is kept
here in one table, so the whole manual reads in one voice and a test
(tests/test_cli_help.py) can hold every command to it. Identifiers stay English (``--department``,
``load``); values are the city's own names (市市场监管局, not a code), since every command that
takes an organisation accepts its code, full name or short name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

import click

from loaders.feed_kinds import FEED_KINDS

__all__ = ["HELP", "CommandHelp", "apply_help", "commands_of", "has_chinese"]

_CHINESE: Final = re.compile(r"[\u4e00-\u9fff]")
_FEED_KINDS: Final = "；".join(f"{kind.code} {kind.label}" for kind in FEED_KINDS.values())


def has_chinese(text: str | None) -> bool:
    """Whether `text` has at least one 汉字."""
    return bool(text and _CHINESE.search(text))


@dataclass(frozen=True)
class CommandHelp:
    """What ``--help`` tells an official about one command."""

    summary: str
    """One Chinese line: the command list and the first line of ``--help``."""
    examples: tuple[str, ...]
    """Command lines to copy, each optionally preceded by a ``# 说明`` comment line."""
    details: str = ""
    """More Chinese: the arguments, what the output means, exit statuses."""
    options: Mapping[str, str] = field(default_factory=dict)
    """Chinese help of options (by their long name, e.g. ``--department``)."""


HELP: Final[Mapping[str, CommandHelp]] = {
    "": CommandHelp(
        "舞钢市信用信息“一张网”命令行：归集、共享、公示、评价与管理。",
        (
            "# 查看某个命令的说明和示例",
            "credithub load --help",
            "# 列出已登记的机构（部门、银行、协会……）",
            "credithub orgs list",
        ),
        "凡需要填写机构的地方，均可填写统一社会信用代码、全称或简称（如 市市场监管局）。",
    ),
    "up": CommandHelp(
        "一键启动：本地 Neo4j、数据库结构、演示数据（库为空时）和服务。",
        (
            "credithub up",
            "# 换端口，演示数据 10 万户",
            "credithub up --port 8080 --enterprises 100000",
        ),
        "启动后在浏览器打开 http://127.0.0.1:8000/ （信用舞钢）或 /graphql （数据接口）。"
        "按 Ctrl-C 停止服务，Neo4j 继续运行。",
        {
            "--host": "监听地址（默认 127.0.0.1）",
            "--port": "端口（默认 8000）",
            "--workers": "工作进程数",
            "--enterprises": "库为空时载入的演示企业数",
        },
    ),
    "serve": CommandHelp(
        "只启动服务（Neo4j 须已可连接，启动时自动升级数据库结构）。",
        ("credithub serve --host 0.0.0.0 --port 8000 --workers 4",),
        options={"--host": "监听地址", "--port": "端口", "--workers": "工作进程数"},
    ),
    "migrate": CommandHelp(
        "升级数据库结构（按顺序执行迁移，可重复运行）。",
        ("credithub migrate",),
    ),
    "demo-data": CommandHelp(
        "载入舞钢市演示数据（确定性生成，重复载入不产生重复）。",
        ("credithub demo-data", "credithub demo-data --enterprises 5000 --seed 7"),
        options={"--enterprises": "演示企业数", "--seed": "随机种子（相同种子生成相同数据）"},
    ),
    "schema": CommandHelp(
        "生成（或核对）数据接口契约文件 schema.graphql。",
        (
            "credithub schema",
            "# 只核对，不一致时失败（持续集成中使用）",
            "credithub schema --check",
        ),
        options={"--output": "写入的文件", "--check": "只核对：文件与代码不一致时失败"},
    ),
    "neo4j": CommandHelp(
        "管理本项目自带的本地 Neo4j 数据库。",
        ("credithub neo4j status", "credithub neo4j stop"),
    ),
    "neo4j start": CommandHelp(
        "下载（仅首次）并启动本地 Neo4j，可查询时返回。", ("credithub neo4j start",)
    ),
    "neo4j stop": CommandHelp("正常停止本地 Neo4j。", ("credithub neo4j stop",)),
    "neo4j status": CommandHelp(
        "本地 Neo4j 是否已安装、是否在运行、位置。", ("credithub neo4j status",)
    ),
    "token": CommandHelp(
        "为已登记的机构或企业签发本地访问令牌（按代码、全称或简称）。",
        (
            "# 银行贷前审查用的令牌（8 小时有效）",
            "TOKEN=$(credithub token 工行舞钢支行 --purpose 贷前审查)",
            "# 部门令牌，有效 7 天",
            "credithub token 市市场监管局 --ttl 7d",
            "# 企业自己的令牌（按统一社会信用代码或全称）",
            "credithub token 91410481MA42B7MY3R",
            "# 信用办（可查看全部）",
            "credithub token --admin",
        ),
        "令牌只打印在标准输出，说明打印在标准错误，便于 TOKEN=$(…) 使用。"
        "令牌过期后（接口返回“令牌已过期”），重新运行本命令签发即可。",
        {
            "--purpose": "查询用途（企业授权按用途生效，如 贷前审查）",
            "--ttl": "有效期：30m、8h、7d ……",
            "--subject": "令牌使用人（默认 local@<代码>）",
            "--admin": "签发信用办令牌（可查看全部）",
        },
    ),
    "orgs": CommandHelp(
        "机构名录：部门、银行、信用服务机构、行业协会和信用办。",
        ("credithub orgs list", "credithub orgs list --kind bank"),
    ),
    "orgs import": CommandHelp(
        "导入机构名录文件（CSV 中文表头，UTF-8 或 GBK；或 TOML），重复导入不产生变化。",
        ("credithub orgs import 机构名录.csv", "credithub orgs import 机构名录.csv --encoding gbk"),
        options={"--encoding": "CSV 编码（默认自动识别 utf-8 或 gbk/gb18030）"},
    ),
    "orgs list": CommandHelp(
        "列出已登记的机构：代码、类别、名称、简称/别名。",
        ("credithub orgs list", "credithub orgs list --kind association --all"),
        options={
            "--kind": "只列出一类：department 部门、bank 银行、agency 信用服务机构、"
            "association 行业协会、office 信用管理部门"
        },
    ),
    "orgs add": CommandHelp(
        "登记一个新机构。",
        (
            "credithub orgs add --kind bank --code 91410481MA9XXXXXXX --name "
            "中国农业银行股份有限公司舞钢支行 --short 农行舞钢支行",
        ),
        options={"--kind": "机构类别：department、bank、agency、association、office"},
    ),
    "orgs close": CommandHelp(
        "撤销机构：不再能登录、报送或被解析，历史保留。",
        ("credithub orgs close 舞钢市某协会 --on 2026-12-31 --reason 注销",),
        "ORG 可填代码、全称或简称。",
    ),
    "orgs correct-code": CommandHelp(
        "更正登记错误的统一社会信用代码，旧代码保留并仍可解析。",
        ("credithub orgs correct-code 工行舞钢支行 91410481X177010064 --reason 登记错误",),
        "ORG 可填代码、全称或简称；NEW_CODE 为正确的代码。",
    ),
    "orgs merge": CommandHelp(
        "机构合并：关系转入目标机构，原机构撤销，名称成为目标的别名。",
        ("credithub orgs merge 舞钢市原某局 --into 市市场监管局 --reason 机构改革",),
        "ORG 和 --into 均可填代码、全称或简称。",
    ),
    "orgs rename": CommandHelp(
        "机构更名：旧名称保留为别名，变更前状态与事件留存。",
        ("credithub orgs rename 市发改委 舞钢市发展和改革委员会 --short 市发改委",),
        "ORG 可填代码、全称或简称；NEW_NAME 为新的全称。",
    ),
    "measures": CommandHelp(
        "联合奖惩措施清单。",
        ("credithub measures import 措施清单.toml",),
    ),
    "measures import": CommandHelp(
        "导入联合奖惩措施清单（TOML），重复导入不产生变化。",
        ("credithub measures import loaders/reference/demo/measures.toml",),
    ),
    "commitment-items": CommandHelp(
        "信用承诺事项目录。",
        ("credithub commitment-items import 承诺事项.toml",),
    ),
    "commitment-items import": CommandHelp(
        "导入信用承诺事项（TOML），重复导入不产生变化。",
        ("credithub commitment-items import 承诺事项.toml",),
    ),
    "audit": CommandHelp(
        "查询留痕：防篡改的访问日志。",
        ("credithub audit verify",),
    ),
    "audit verify": CommandHelp(
        "核验整条留痕链：任何条目被修改、删除或插入即失败。", ("credithub audit verify",)
    ),
    "audit prune": CommandHelp(
        "按保存期限删除过期留痕（默认 5 年，不得少于 5 年）。",
        ("credithub audit prune", "credithub audit prune --days 2000"),
        options={"--days": "保存天数（不少于 1827 天，即 5 年）"},
    ),
    "load": CommandHelp(
        "载入部门报送的数据文件（CSV：UTF-8 或 GBK，XLSX，JSON Lines）。",
        (
            "# 按部门简称报送，自动识别文件类别和编码",
            "credithub load 行政处罚.csv --department 市市场监管局",
            "# 指定类别",
            "credithub load 许可.xlsx --department 舞钢市发展和改革委员会 --kind license",
        ),
        "结束时打印汇总。退出状态：0 全部入库；2 有行被隔离（用 credithub quarantine list 查看）；"
        "3 数据库不可用（已写入的部分完整保留，重新运行即可补齐）。",
        {
            "--department": "报送单位：统一社会信用代码、全称或简称（部门或协会，如 市市场监管局）",
            "--kind": "文件类别（默认按表头识别）：" + _FEED_KINDS,
            "--encoding": "编码（默认自动识别 utf-8 或 gb18030）",
            "--batch-size": "每次写入的行数",
        },
    ),
    "batches": CommandHelp(
        "列出已载入的批次（最新在前）及其汇总。",
        ("credithub batches", "credithub batches --department 市市场监管局 --limit 5"),
        options={"--department": "只看这个报送单位（代码、全称或简称）", "--limit": "最多列出几批"},
    ),
    "quarantine": CommandHelp(
        "隔离区：载入时被拒收的行及原因。",
        ("credithub quarantine list <批次号>", "credithub quarantine export <批次号>"),
    ),
    "quarantine list": CommandHelp(
        "列出一个批次被拒收的行：行号、报送时的列名、原因。",
        ("credithub quarantine list penalty-11410481005701375R-03cae65ad54326cf4d0a",),
        "批次号见 credithub load 的汇总或 credithub batches。列名按报送文件的表头显示。",
    ),
    "quarantine export": CommandHelp(
        "把一个批次被拒收的行导出为 CSV（Excel 可直接打开），改正后重新报送。",
        (
            "credithub quarantine export penalty-11410481005701375R-03cae65ad54326cf4d0a",
            "credithub quarantine export <批次号> -o 待改正.csv",
        ),
        options={"--output": "写入的 CSV 文件（默认 <批次号>-quarantine.csv）"},
    ),
    "uscc-report": CommandHelp(
        "重错码治理：重复和错误的统一社会信用代码及差错率。",
        ("credithub uscc-report", "credithub uscc-report --fail-above-target"),
        options={"--fail-above-target": "差错率高于万分之一时以状态 1 退出"},
    ),
    "publication-report": CommandHelp(
        "双公示及时性：各部门行政许可、行政处罚是否在 7 个工作日内公示。",
        (
            "credithub publication-report --from 2026-10-01 --to 2026-11-30",
            "credithub publication-report --from 2026-10-01 --to 2026-11-30 "
            "--department 市市场监管局",
        ),
        options={
            "--from": "决定日期自（年-月-日）",
            "--to": "决定日期至（年-月-日）",
            "--department": "只看一个部门：统一社会信用代码、全称或简称（默认全部）",
        },
    ),
    "deadline-report": CommandHelp(
        "异议和信用修复办理时限：各部门受理、按时、逾期、待办件数。",
        (
            "credithub deadline-report",
            "credithub deadline-report --year 2026 --department 市税务局",
        ),
        options={
            "--year": "受理年度",
            "--department": "只看一个部门：统一社会信用代码、全称或简称（默认全部）",
        },
    ),
    "expire-lists": CommandHelp(
        "结束已过有效期的名单（已到期），解除相应惩戒措施；每天运行一次。",
        ("credithub expire-lists",),
    ),
    "evaluate": CommandHelp(
        "公共信用综合评价：对全部企业评价一轮，或对一户企业评价并说明依据。",
        (
            "credithub evaluate",
            "# 一户企业：统一社会信用代码或企业全称",
            "credithub evaluate --uscc 91410481MA42B7MY3R",
            "credithub evaluate --uscc 舞钢市源信餐饮管理有限公司",
        ),
        options={
            "--uscc": "只评价这户企业：统一社会信用代码或企业全称",
            "--model": "指标模型文件（TOML）",
            "--as-of": "评价基准日（默认北京时间今天）",
            "--batch-size": "每批评价的企业数",
        },
    ),
    "risk-scan": CommandHelp(
        "风险预判预警：对全库运行风险信号，保存预警并通知相关部门。",
        ("credithub risk-scan", "credithub risk-scan --as-of 2026-12-01"),
        options={"--as-of": "扫描基准日（默认北京时间今天）", "--thresholds": "阈值文件"},
    ),
    "risk-alerts": CommandHelp(
        "列出风险预警（分值高的在前），附解释路径。",
        ("credithub risk-alerts", "credithub risk-alerts --min-score 60 --limit 10"),
        options={
            "--signal": "只看这一种信号",
            "--min-score": "只看不低于此分值的预警",
            "--all": "包括已解除的预警",
            "--limit": "最多列出几条",
        },
    ),
    "ownership": CommandHelp(
        "股权穿透：企业的最终持有人，或某人/某企业持有和控制的企业。",
        (
            "credithub ownership --uscc 91410481MA4159963A",
            "credithub ownership --uscc 舞钢市湖滨环保科技有限公司 --depth 5",
            "credithub ownership --person <人员标识>",
        ),
        "人员姓名按去标识化规则显示。",
        {
            "--uscc": "向上穿透这户企业：统一社会信用代码或企业全称",
            "--person": "向下查看此人（人员标识）或此企业（代码或全称）的持股",
            "--depth": "最多穿透几层",
        },
    ),
    "assessment": CommandHelp(
        "考核评估：各部门年度报告（HTML 或 Excel），每年 12 月 25 日前报送。",
        (
            "credithub assessment --year 2026",
            "credithub assessment --year 2026 --format xlsx --output 考核评估2026.xlsx",
        ),
        options={
            "--year": "考核年度",
            "--format": "html 可打印网页，或 xlsx 工作簿",
            "--output": "写入的文件（默认 assessment-年度.html / .xlsx）",
        },
    ),
    "exchange": CommandHelp(
        "与信用河南、信用平顶山、公示系统、联合奖惩和互联网+监管系统交换数据。",
        ("credithub exchange status", "credithub exchange export xinyong-henan"),
    ),
    "exchange export": CommandHelp(
        "生成一次对某个系统的导出（数据文件和 manifest.json），打印导出位置。",
        (
            "# 增量导出（从上次的游标起）",
            "credithub exchange export xinyong-henan",
            "# 全量",
            "credithub exchange export xinyong-henan --full",
        ),
        "TARGET 为对接系统，见 hub/exchange/targets.toml。",
        {
            "--full": "全量导出：该系统此刻应有的全部数据",
            "--since": "从这一天起（北京时间 0 点；默认上次游标）",
            "--out": "导出目录",
            "--targets": "对接系统配置文件",
        },
    ),
    "exchange deliver": CommandHelp(
        "发送尚未送达的导出（最早的先发，失败自动重试）。",
        ("credithub exchange deliver xinyong-henan",),
        options={"--targets": "对接系统配置文件（如指向测试地址的副本）"},
    ),
    "exchange import": CommandHelp(
        "导入上级系统下发的文件：省级/国家下发名单、省级措施清单、互联网+监管结果。",
        (
            "credithub exchange import province 省级下发名单.csv",
            "credithub exchange import internet-supervision 抽查结果.csv --encoding gb18030",
        ),
        "SOURCE 为来源：province、national、province-measures、internet-supervision。",
        {"--kind": "文件类别（默认按表头识别）", "--encoding": "编码（默认自动识别）"},
    ),
    "exchange status": CommandHelp(
        "各对接系统的导出与投递状态：最近导出、游标、待发送、失败原因。",
        ("credithub exchange status", "credithub exchange status xinyong-henan"),
        options={"--targets": "对接系统配置文件"},
    ),
    "assets": CommandHelp(
        "安装 GraphiQL 页面所需的前端文件（不依赖 CDN，离线可用）。",
        (
            "credithub assets",
            "# 使用内网镜像",
            "credithub assets --registry https://npm.example.gov.cn/",
            "# 从已下载的包安装",
            "credithub assets --from ./graphiql-tarballs",
        ),
        options={
            "--registry": "npm 仓库或镜像地址（也可用 CREDITHUB_NPM_REGISTRY）",
            "--from": "从此目录中的包（npm pack 的输出）安装，不访问仓库",
            "--if-missing": "文件都已安装时什么也不做",
        },
    ),
    "test": CommandHelp(
        "代码检查、类型检查并运行全部测试（自动启动测试用 Neo4j）。",
        ("credithub test", "credithub test tests/test_site.py -q"),
    ),
}
"""Every command's manual, by its path under `credithub` ("" for `credithub` itself)."""


def commands_of(group: click.Group) -> Iterator[tuple[str, click.Command]]:
    """Every command under `group`, itself first, by path ("orgs list")."""
    pending: list[tuple[str, click.Command]] = [("", group)]
    while pending:
        path, command = pending.pop(0)
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                pending.append((f"{path} {name}".strip(), sub))


def _epilog(examples: tuple[str, ...]) -> str:
    # \b keeps click from re-wrapping the block (each example stays one line to copy).
    lines = "\n".join(f"  {line}" for line in examples)
    return f"示例 (examples):\n\n\b\n{lines}"


def apply_help(group: click.Group) -> None:
    """Put each command's Chinese manual (`HELP`) into its ``--help``: the summary as the short
    help and the first paragraph, the details, the English description after them, Chinese
    option help, and the examples as the epilog. Commands without an entry keep their own help
    (tests/test_cli_help.py fails for them)."""
    for path, command in commands_of(group):
        manual = HELP.get(path)
        if manual is None or getattr(command, "_manual_applied", False):
            continue
        own = (command.help or "").strip()
        # The module's own text follows (English, or a Chinese one not repeating the summary).
        own = own.removeprefix(manual.summary).strip()
        parts = [manual.summary, manual.details, own]
        command.help = "\n\n".join(part for part in parts if part)
        command.short_help = manual.summary
        command.epilog = _epilog(manual.examples)
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            names = [opt for opt in param.opts if opt.startswith("--")]
            chinese = next((manual.options[n] for n in names if n in manual.options), None)
            if chinese is None:
                continue
            original = (param.help or "").strip()
            # An English original stays after the Chinese; a Chinese one is what the table rewrote.
            english_only = bool(original) and not has_chinese(original)
            param.help = f"{chinese} — {original}" if english_only else chinese
        command._manual_applied = True  # type: ignore[attr-defined]
