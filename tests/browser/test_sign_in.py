"""Signing in through a real browser, on a phone-sized screen."""
from __future__ import annotations


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_sign_in_and_today(live, make_page):
    user = live.user(role="organizer")
    p = make_page()
    p.go("/")
    assert "/login" in p.page.url
    p.shot("login")
    p.page.fill("input[name=email]", user.email)
    p.page.fill("input[name=password]", "not the password")
    p.page.click("button[type=submit]")
    assert "do not match an account" in p.page.inner_text("main")
    p.errors.clear()  # the browser logs the refused sign-in's 401 as a console error
    p.login(user.email)
    assert p.page.inner_text("h1") == "Today"
    assert p.page.locator("[data-figure=new_reports]").inner_text() == "0"
    assert _no_sideways_scroll(p.page)
    p.shot("today")
    # The menu opens on a narrow screen and lists every page.
    p.page.click("details.menu summary")
    labels = p.page.locator("nav.pages a").all_inner_texts()
    assert labels[:3] == ["Today", "Reports", "Map"] and "Phone" in labels
    p.shot("menu")
    p.page.click("text=Sign out")
    p.page.wait_for_url("**/login")
    assert not p.errors, p.errors
