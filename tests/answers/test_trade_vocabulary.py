"""One trade vocabulary (content/choices.yaml `trade`): the value a member row stores is the value
programmes and guides name, so a registered worker's lists are those of their trade."""
from __future__ import annotations

from sqlalchemy import select

from bot.line.members import save_member
from bot.models import Contact
from tests.answers.conftest import WORKERS
from tests.answers.test_relief import expected_list


def test_a_registered_waste_picker_gets_the_guides_of_waste_pickers(services, line):
    org, catalog = "montevideo-feriantes", services.catalog
    organization = catalog.organizations[org]
    worker = line(org)
    everyone = catalog.guides(org, city="Montevideo")
    assert worker.one("3") == expected_list(services, org, "topic.registration", "es", everyone, "guides", "guide")
    with services.db() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.phone == WORKERS[org])).one()
    save_member(services, organization, contact_id, {"name": "Lucía", "trade": "waste_picker", "city": "Montevideo",
                                                    "language": "es"}, consent_version="v1")
    theirs = catalog.guides(org, city="Montevideo", trade="waste_picker")
    assert theirs and len(theirs) < len(everyone)  # the vendors' permit is not in it
    worker.one("0")
    assert worker.one("3") == expected_list(services, org, "topic.registration", "es", theirs, "guides", "guide")
