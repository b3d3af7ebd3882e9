"""Command line for operators: `python -m bot.cli COMMAND` (also `make migrate`, the Procfile).

One click group; each module adds its commands (as redash's manager.add_command). Every command gets
its services from bot.services.for_command: built once per command line, closed at its end."""
from __future__ import annotations

import click

from bot.broadcasts.cli import broadcast
from bot.cli import desk, live, ops, people


@click.group()
def cli() -> None:
    """streetline operations."""


for command in (ops.migrate, ops.load_content, ops.worker, ops.replay_spool, ops.health, ops.media_pending,
                people.token, people.user, desk.demo, desk.export, live.market, live.relief, broadcast):
    cli.add_command(command)
