"""The organizers' pages in the organization's languages: complete catalogs, a language per account
(the organization's first language by default), the switcher, and Babel's dates and numbers."""
from __future__ import annotations

import html as htmlmod
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po

from bot.line.reports import create_report
from tests.dashboard.conftest import signed_in_as

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "webhooks" / "translations"
LANGUAGES = ("en", "fr", "es", "sw", "hi")


def _extract(tmp_path: Path) -> Path:
    """The pages' strings as pybabel extracts them now (babel.cfg), into a .pot in a temp dir."""
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True)
    return pot


def _ids(catalog) -> set:
    return {m.id for m in catalog if m.id}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    with open(_extract(tmp_path_factory.mktemp("pot")), "rb") as f:
        return read_po(f)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_catalog_has_every_message_translated(template, lang):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=lang)
    assert len(_ids(template)) > 500  # the extraction found the pages' strings
    missing = _ids(template) - _ids(catalog)
    assert not missing, f"{lang}: {len(missing)} message(s) not in the catalog (make i18n-update): {sorted(missing)[:5]}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy entries {fuzzy[:5]}"
    untranslated = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert not untranslated, f"{lang}: untranslated {untranslated[:5]}"
    # the same %(placeholders)s in every translation (Babel's python-format checker)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, f"{lang}: {problems[:3]}"
    if lang != "en":  # a real translation, not a copy of the English (short words like "SMS" may match)
        copied = [m.id for m in catalog if m.id and isinstance(m.id, str) and len(m.id) > 30 and m.string == m.id]
        assert not copied, f"{lang}: left in English: {copied[:5]}"


def test_hindi_is_written_in_devanagari():
    with open(CATALOGS / "hi" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale="hi")
    sentences = [m.string for m in catalog if m.id and isinstance(m.id, str) and " " in m.id and len(m.id) > 20]
    assert sentences and all(re.search("[\u0900-\u097f]", s) for s in sentences)


def test_the_compiled_catalogs_are_there_and_not_in_git():
    for lang in LANGUAGES:
        assert (CATALOGS / lang / "LC_MESSAGES" / "messages.mo").is_file(), f"make install compiles {lang}"
    tracked = subprocess.run(["git", "ls-files", "webhooks/translations"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    if tracked:  # a clean checkout (CI); a copy without git history has nothing to say here
        assert not [p for p in tracked if p.endswith(".mo")]


# --------------------------------------------------------------------------- pages in French


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return htmlmod.unescape(response.get_data(as_text=True))


@pytest.fixture
def dakar(app, make_user):
    return signed_in_as(app, make_user("dakar-vendors", "admin"))


PAGES_FR = {
    "/": ["Aujourd'hui", "nouveau signalement à vérifier", "membre inscrit"],  # French: 0 takes the singular
    "/reports": ["Signalements", "Filtres", "Pas encore de signalement"],
    "/reports/map": ["Carte des signalements", "Voir en liste", "Chargement des signalements…"],
    "/members": ["Membres", "Rechercher", "Numéros affichés récemment"],
    "/markets": ["Marchés", "Distributions d'aide", "Annoncer une distribution"],
    "/broadcasts": ["Diffusions", "Nouvelle diffusion", "Pas encore de diffusion"],
    "/broadcasts/new": ["Qui le reçoit", "Membres inscrits seulement", "Destinataires et coût"],
    "/conversations": ["Conversations", "Seulement celles reprises", "Pas encore de conversation"],
    "/data": ["Données pour le plaidoyer", "Signalements par catégorie", "Télécharger les signalements"],
    "/simulator": ["Simulateur de téléphone", "Envoyer une position", "Votre numéro"],
}


def test_a_dakar_admin_reads_every_page_in_french(dakar):
    for path, phrases in PAGES_FR.items():
        page = _text(dakar.get(path))
        assert '<html lang="fr">' in page, path
        for phrase in phrases:
            assert phrase in page, (path, phrase)
        # the navigation, the switcher and the sign-out are French too
        assert ">Signalements</a>" in page and ">Données</a>" in page and "Se déconnecter" in page, path
        assert "Sign out" not in page and ">Reports</a>" not in page, path


def test_the_scripts_strings_come_in_the_page_language(dakar):
    page = dakar.get("/broadcasts/new").get_data(as_text=True)
    strings = json.loads(htmlmod.unescape(re.search(r'data-i18n="([^"]*)"', page).group(1)))
    assert strings["send"] == "Envoyer" and strings["loading_reports"] == "Chargement des signalements…"
    assert strings["send_to"] == "Envoyer à {n}"  # the script fills {n}
    assert 'data-locale="fr"' in page


def test_dates_and_numbers_are_formatted_by_babel_for_the_locale(services, dakar):
    report = create_report(services, "dakar-vendors", contact_id=None, channel="sms", language="fr",
                           category="confiscation", description="ils ont pris mes marchandises",
                           place={"place_id": "dkr.sandaga"}, occurred_on=date(2026, 3, 2), occurred_text=None,
                           anonymous=True)
    page = _text(dakar.get(f"/reports/{report.reference}"))
    assert format_date(date(2026, 3, 2), "full", locale="fr") in page  # "lundi 2 mars 2026"
    assert "lundi 2 mars 2026" in page and "confiscation" in page and "nouveau" in page
    listing = _text(dakar.get("/reports"))
    assert "2 mars 2026" in listing and "1 signalement." in listing
    figures = _text(dakar.get("/data"))
    assert re.search(r"100\s%", figures)  # the share column, French spacing before %


# --------------------------------------------------------------------------- language per account


def test_the_default_is_the_organizations_first_language(app, make_user):
    assert '<html lang="en">' in signed_in_as(app, make_user("nairobi-vendors")).get("/").get_data(as_text=True)
    page = signed_in_as(app, make_user("pune-wastepickers")).get("/").get_data(as_text=True)
    assert '<html lang="hi">' in page and "आज" in page and "रिपोर्टें" in page


def test_the_switcher_stores_the_language_on_the_account(app, services, make_user):
    user = make_user("nairobi-vendors")
    browser = signed_in_as(app, user)
    page = browser.get("/markets").get_data(as_text=True)
    assert 'value="sw"' in page and "Kiswahili" in page and 'id="language-select"' in page
    moved = browser.client.post("/account/language", data={"language": "sw", "csrf_token": browser.token},
                                headers={"Referer": "http://localhost/markets"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/markets")
    swahili = browser.get("/markets").get_data(as_text=True)
    assert '<html lang="sw">' in swahili and "Masoko" in swahili and "Ugawaji wa misaada" in swahili
    # kept on the account: another browser signed in as the same organizer reads Swahili too
    assert '<html lang="sw">' in signed_in_as(app, user).get("/").get_data(as_text=True)
    # another site's Referer is not followed back
    away = browser.client.post("/account/language", data={"language": "en", "csrf_token": browser.token},
                               headers={"Referer": "https://elsewhere.example/x"})
    assert away.status_code == 302 and away.headers["Location"].endswith("/")


def test_the_switcher_refuses_an_unknown_language_and_a_missing_token(app, make_user):
    browser = signed_in_as(app, make_user("nairobi-vendors"))
    bad = browser.client.post("/account/language", data={"language": "de", "csrf_token": browser.token})
    assert bad.status_code == 400 and "not available in that language" in bad.get_data(as_text=True)
    forged = browser.client.post("/account/language", data={"language": "sw"})
    assert forged.status_code == 400
    assert '<html lang="en">' in browser.get("/").get_data(as_text=True)


def test_before_sign_in_the_browsers_language_is_used(client):
    page = client.get("/login", headers={"Accept-Language": "es-UY,es;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="es">' in page and "Iniciar sesión" in page and "Contraseña" in page
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)


@pytest.mark.parametrize("lang, today, reports", [("en", "Today", "Reports"), ("fr", "Aujourd'hui", "Signalements"),
                                                  ("es", "Hoy", "Reportes"), ("sw", "Leo", "Ripoti"),
                                                  ("hi", "आज", "रिपोर्टें")])
def test_every_page_renders_in_every_language(app, services, make_user, lang, today, reports):
    user = make_user("nairobi-vendors", "admin")
    create_report(services, "nairobi-vendors", contact_id=None, channel="sms", language="en", category="fire_flood",
                  description="moto", place={"place_id": "nbo.gikomba"}, occurred_on=None, occurred_text=None,
                  anonymous=False)
    browser = signed_in_as(app, user)
    assert browser.client.post("/account/language", data={"language": lang, "csrf_token": browser.token}).status_code == 302
    for path in list(PAGES_FR) + ["/markets/nbo.gikomba", "/members/reveals", "/reports/map.json"]:
        response = browser.get(path)
        assert response.status_code == 200, (lang, path, response.get_data(as_text=True)[:300])
    page = _text(browser.get("/"))
    assert f'<html lang="{lang}">' in page and today in page and f">{reports}</a>" in page
    point = browser.get("/reports/map.json").get_json()["points"][0]
    assert point["category_label"] == {"en": "fire or flood", "fr": "incendie ou inondation", "es": "incendio o inundación",
                                       "sw": "moto au mafuriko", "hi": "आग या बाढ़"}[lang]
