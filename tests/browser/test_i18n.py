"""A Dakar admin on a 1280 px laptop reaches every page from the navigation in French, the pages' scripts
speak French too (strings handed over in <body data-i18n>, the CSP holds), and the header's switcher
changes the language. Screenshots go to artifacts/screenshots/ (fr-1280-*)."""
from __future__ import annotations

import pytest

from bot.line.reports import create_report
from tests.browser.test_pages import click_nav

# (French label in the navigation, path, what shows the page has rendered, French text on it)
PAGES_FR = (("Aujourd'hui", "/", "[data-figure=new_reports]", "signalements à vérifier"),
            ("Signalements", "/reports", "table#reports-table", "2 signalements."),
            ("Carte", "/reports/map", "#map[data-state=ready]", "2 signalements sur la carte"),
            ("Membres", "/members", "main h1", "Numéros affichés récemment"),
            ("Marchés", "/markets", "table#markets", "Distributions d'aide"),
            ("Diffusions", "/broadcasts", "a#bc-new", "Nouvelle diffusion"),
            ("Conversations", "/conversations", "main h1", "Seulement celles reprises"),
            ("Données", "/data", "canvas#chart-category[data-drawn=yes]", "Signalements par catégorie"),
            ("Téléphone", "/simulator", "#simulator", "Nouveau téléphone"))


@pytest.mark.timeout(300)  # nine pages, a compose page and two switches in one browser
def test_a_dakar_admin_reaches_every_page_in_french_at_1280(make_page, live):
    for n in range(2):
        create_report(live.services, "dakar-vendors", contact_id=None, channel="sms", language="fr",
                      category="confiscation", description=f"marchandises saisies {n}",
                      place={"place_id": "dkr.sandaga"}, occurred_on=None, occurred_text=None, anonymous=True)
    admin = live.user("dakar-vendors", "admin")
    p = make_page(width=1280, height=900, name="fr-1280")
    p.login(admin.email)
    p.shot("signed-in")
    assert '<html lang="fr">' in p.page.content()
    for label, path, ready, text in PAGES_FR:
        click_nav(p, path, wide=True)
        p.page.wait_for_selector(ready)
        current = p.page.locator("nav.pages a[aria-current=page]")
        assert current.inner_text() == label, path
        assert text in p.page.inner_text("main"), (path, text)
        p.shot(path.strip("/").replace("/", "-") or "aujourdhui")
    # A script's own words: the compose page's live preview note, written by broadcasts.js.
    click_nav(p, "/broadcasts", wide=True)
    with p.page.expect_navigation():
        p.page.click("a#bc-new")
    p.page.wait_for_selector("#bc-preview-panel[data-state=ready]")
    assert "Écrivez le texte en Français" in p.page.inner_text("#bc-preview-note")
    assert not p.errors, p.errors

    # The switcher in the header: English, then French again, kept on the account.
    p.page.select_option("#language-select", "en")
    with p.page.expect_navigation():
        p.page.click("#language-submit")
    assert '<html lang="en">' in p.page.content()
    assert p.page.locator("header nav.pages a[href='/reports']").inner_text() == "Reports"
    p.page.select_option("#language-select", "fr")
    with p.page.expect_navigation():
        p.page.click("#language-submit")
    assert p.page.locator("header nav.pages a[href='/reports']").inner_text() == "Signalements"
    assert not p.errors, p.errors
