"""`credithub exchange`: exchange with the connected systems of the provincial network.

One click group; each helper's subcommands are small, separate functions below it, added to the
group where they are defined (export, deliver/status, import).
"""

from __future__ import annotations

import click

__all__ = ["exchange", "register_exchange_commands"]


@click.group(name="exchange")
def exchange() -> None:
    """Exchange with 信用河南, 信用平顶山, the 公示系统, 联合奖惩 and 互联网+监管."""


def register_exchange_commands(group: click.Group) -> None:
    """Add the `exchange` group to the `credithub` group."""
    group.add_command(exchange)
