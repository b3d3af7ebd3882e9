"""GET /api/v1/reports?authority=<id>: the reports raised with that authority, as the pages' authority
filter counts them; another organization's authority or a bad value is a 400 with the reason."""
from __future__ import annotations

from tests.authorities.conftest import county, reports_of


def test_the_api_lists_the_reports_raised_with_an_authority(services, api, outsider_authority):
    first, second, _ = reports_of(services, 3)
    aid = county(services).id
    for ref in (first.reference, second.reference):
        assert api.post(f"/api/v1/reports/{ref}/escalations",
                        json={"authority_id": aid, "method": "meeting"}).status_code == 201
    body = api.get(f"/api/v1/reports?authority={aid}").get_json()
    assert sorted(r["reference"] for r in body["reports"]) == sorted([first.reference, second.reference])
    assert body["total"] == 2
    assert api.get("/api/v1/reports").get_json()["total"] == 3  # without the filter: all of them
    both = api.get(f"/api/v1/reports?authority={aid}&status=new&per_page=1").get_json()
    assert both["total"] == 2 and len(both["reports"]) == 1 and both["next_page"] == 2

    for bad in (str(outsider_authority), "0", "x", "①"):
        refused = api.get(f"/api/v1/reports?authority={bad}")
        assert refused.status_code == 400 and "authority" in refused.get_json()["error"]
