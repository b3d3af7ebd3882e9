"""Shares on the data page are written the locale's way without float noise (18.6%, not
18.600000000000001%)."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from webhooks.dashboard.i18n import share_text


@pytest.mark.parametrize("locale,share,shown", [
    ("en", "18.6%", "18.6%"), ("fr", "18.6%", "18,6\u00a0%"), ("es", "12.5%", "12,5\u00a0%"), ("en", "100%", "100%"),
    ("en", "", ""), ("en", "n/a", "n/a"),
])
def test_shares_in_each_locale(app, locale, share, shown):
    with app.test_request_context(), force_locale(locale):
        assert share_text(share) == shown
