"""A second factor for organizer commands (issue 12 item 11): where an organization sets
`confirm_commands`, a command from an organizer number is held until the one-time code sent back to
that number comes back. A spoofer of the organizer's caller ID never sees the code."""
from __future__ import annotations

import re
import shutil

import pytest

from bot.models import MarketStatus
from bot.orgs import sync_organizations
from bot.services import build_services
from content import load_catalog
from tests.answers.conftest import ORGANIZERS, replies
from tests.answers.test_organizer import rows
from tests.conftest import Phone
from webhooks import create_app

DAKAR = "+221338990001"


@pytest.fixture
def dakar_confirming(make_settings, db, redis, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(load_catalog().root, root)
    org_yaml = root / "orgs" / "dakar-vendors" / "org.yaml"
    org_yaml.write_text(org_yaml.read_text() + "\nconfirm_commands: true\n")
    services = build_services(make_settings(content_dir=root))
    sync_organizations(services)
    yield services, create_app(services=services).test_client()
    services.close()


def say(phone: Phone, body: str) -> str:
    phone.send(body)
    [reply] = replies(phone.last.get_data(as_text=True))
    return reply


def test_a_command_waits_for_the_code_sent_back_to_the_organizer(dakar_confirming):
    services, client = dakar_confirming
    organizer = Phone(client, ORGANIZERS["dakar-vendors"], to=DAKAR)
    ask = say(organizer, "FERMER Castors jusqu'au samedi travaux")
    code = re.search(r"\b(\d{4})\b", ask).group(1)
    assert "FERMER Castors" in ask and rows(services, MarketStatus) == []  # nothing changed yet
    saved = say(organizer, code)
    [row] = rows(services, MarketStatus)
    assert (row.place_id, row.status, row.reason) == ("dkr.castors", "closed", "travaux")
    assert "Castors" in saved and "travaux" in saved
    # The code works once: sending it again changes nothing more and is no command.
    again = say(organizer, code)
    assert len(rows(services, MarketStatus)) == 1 and "Castors" not in again


def test_a_wrong_code_or_a_status_query_needs_no_code_and_changes_nothing(dakar_confirming):
    services, client = dakar_confirming
    organizer = Phone(client, ORGANIZERS["dakar-vendors"], to=DAKAR)
    ask = say(organizer, "STATUT Sandaga FERMÉ")
    code = re.search(r"\b(\d{4})\b", ask).group(1)
    wrong = f"{(int(code) + 1) % 10000:04d}"
    say(organizer, wrong)
    assert rows(services, MarketStatus) == []
    # A query changes nothing, so it is answered at once.
    assert "Sandaga" in say(organizer, "STATUT Sandaga")


def test_a_spoofer_without_the_code_cannot_change_anything(dakar_confirming):
    services, client = dakar_confirming
    spoofer = Phone(client, ORGANIZERS["dakar-vendors"], to=DAKAR)  # same caller ID, never sees the reply
    spoofer.send("FERMER Sandaga")
    code = services.redis.get(f"orgcmd:dakar-vendors:{ORGANIZERS['dakar-vendors']}")
    wrong = [g for g in ("0000", "1234", "9999", "4321") if g.encode() not in code][:3]
    for guess in wrong:
        spoofer.send(guess)
    # Three wrong codes drop the held command: the real code cannot be found by trying.
    held = services.redis.get(f"orgcmd:dakar-vendors:{ORGANIZERS['dakar-vendors']}")
    assert rows(services, MarketStatus) == [] and held is None


def test_organizations_without_the_setting_act_at_once(services, line):
    organizer = line("nairobi-vendors", number=ORGANIZERS["nairobi-vendors"])
    organizer.one("CLOSE Githurai")
    assert [r.status for r in rows(services, MarketStatus)] == ["closed"]
