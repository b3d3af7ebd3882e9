"""Organizations are declared in content/; the database mirrors them so rows can refer to them."""
from __future__ import annotations

from sqlalchemy import delete, select

from bot.models import Organization, OrganizationNumber


def sync_organizations(services) -> int:
    catalog = services.catalog
    with services.db.begin() as session:
        existing = {o.slug: o for o in session.scalars(select(Organization))}
        for org in catalog.organizations.values():
            row = existing.get(org.slug) or Organization(slug=org.slug)
            row.name, row.default_language, row.demo = org.name, org.default_language, org.demo
            session.add(row)
        session.flush()
        session.execute(delete(OrganizationNumber))
        for org in catalog.organizations.values():
            for number in org.numbers:
                session.add(OrganizationNumber(number=number, organization=org.slug))
    return len(catalog.organizations)
