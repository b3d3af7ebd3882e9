from __future__ import annotations

import pytest

from bot.desk.tokens import create_token, organization_for, revoke


def test_a_token_names_its_organization_until_revoked(services):
    token = create_token(services, "nairobi-vendors", "dashboard")
    other = create_token(services, "pune-wastepickers", "dashboard")
    assert token.startswith("stl_") and token != other
    assert organization_for(services, token) == "nairobi-vendors"
    assert organization_for(services, other) == "pune-wastepickers"
    assert revoke(services, "nairobi-vendors", "dashboard") == 1
    assert organization_for(services, token) is None
    assert organization_for(services, other) == "pune-wastepickers"


@pytest.mark.parametrize("bad", ["", "stl_", "stl_guess", "x" * 500, "Bearer stl_x"])
def test_unknown_tokens_name_no_organization(services, bad):
    create_token(services, "nairobi-vendors", "dashboard")
    assert organization_for(services, bad) is None


def test_tokens_only_for_known_organizations(services):
    with pytest.raises(ValueError):
        create_token(services, "nowhere", "x")
