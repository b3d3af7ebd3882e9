"""`python -m bot.cli market set|list` and `relief announce|list` against the test database."""
from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from bot.models import MarketStatus, PendingBroadcast, ReliefDistribution


def run(services, *args):
    result = CliRunner().invoke(cli, list(args), obj=services)
    return result


def test_market_set_and_list(services, line):
    result = run(services, "market", "set", "pune-wastepickers", "pune.mandai", "closed", "--until", "tomorrow",
                 "--reason", "सफाई", "--by", "asha", "--broadcast")
    assert result.exit_code == 0, result.output
    assert "pune.mandai closed" in result.output and "broadcast" in result.output
    with services.db() as session:
        row = session.scalars(select(MarketStatus)).one()
        assert (row.changed_by, row.source, row.reason) == ("asha", "cli", "सफाई")
        assert session.scalars(select(PendingBroadcast)).one().market_status_id == row.id
    listed = run(services, "market", "list", "pune-wastepickers")
    assert listed.exit_code == 0
    assert any(l.startswith("pune.mandai") and "closed" in l and "asha" in l for l in listed.output.splitlines())
    worker = line("pune-wastepickers")
    assert "बंद" in worker.one("मंडई")


def test_market_set_refuses_another_orgs_place_and_bad_input(services):
    assert run(services, "market", "set", "pune-wastepickers", "nbo.gikomba", "closed").exit_code != 0
    assert run(services, "market", "set", "nowhere", "nbo.gikomba", "closed").exit_code != 0
    assert run(services, "market", "set", "nairobi-vendors", "nbo.gikomba", "burning").exit_code != 0
    with services.db() as session:
        assert session.scalars(select(MarketStatus)).all() == []


def test_relief_announce_and_list(services):
    result = run(services, "relief", "announce", "nairobi-vendors", "--where", "nbo.gikomba", "--when",
                 "2099-03-01T10:00", "--for", "fire victims")
    assert result.exit_code == 0, result.output
    with services.db() as session:
        row = session.scalars(select(ReliefDistribution)).one()
        assert (row.place_id, row.venue, row.recipients, row.source) == ("nbo.gikomba", "Gikomba", "fire victims",
                                                                          "cli")
    listed = run(services, "relief", "list", "nairobi-vendors")
    assert "fire victims" in listed.output
