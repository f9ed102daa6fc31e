"""The analyst's flows in a real browser (Debian's Chromium through Playwright), on SQLite.

One browser and one server serve the whole module; the integrations run against the CTAC
simulator in child processes, as "Run now" starts them. The screenshots in docs/screenshots
are taken here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tipwire.api import create_app
from tipwire.config import Settings
from tipwire.exchange.registry import Registry
from tipwire.identity import Role
from tipwire.providers.ctac.serve import RunningSimulator, run_simulator
from tipwire.providers.ctac.simulator import SimulatorConfig
from tipwire.store import Store, accounts

from ..api.conftest import LiveServer
from .conftest import PASSWORDS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
KEY = "browser-test-ctac-key"
BLOCKS = "198.51.100.0/24, 203.0.113.0/24"
DOMAINS = "example.com, example.org"
# A bound against hanging only (a run takes a few seconds); nothing asserts on durations.
PATIENCE_MS = 90_000


@dataclass
class Site:
    """The server under test, its store and the simulator it pulls from."""

    url: str
    store: Store
    simulator: RunningSimulator


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """TipWire on a SQLite file with a user of each role, and the CTAC simulator."""
    data = tmp_path_factory.mktemp("web-ui")
    database = f"sqlite:///{data / 'tipwire.db'}"
    settings = Settings(data_dir=data, database_url=database, secret_key=None)
    store = Store.from_settings(settings)
    store.upgrade()
    with store.write() as connection:
        for role in Role:
            accounts.create_user(connection, role.value, PASSWORDS[role], role)
    config = SimulatorConfig(seed=7, api_key=KEY, backlog=3000, rate=0.0)
    with pytest.MonkeyPatch.context() as env, run_simulator(config) as simulator:
        # "Run now" starts a child process: it finds this database and key file this way.
        env.setenv("TIPWIRE_DATABASE_URL", database)
        env.setenv("TIPWIRE_DATA_DIR", str(data))
        with LiveServer(create_app(settings, store, Registry.discover())) as live:
            yield Site(live.url, store, simulator)
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; no browser is downloaded."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
        )
        yield launched
        launched.close()


def open_page(browser: Browser, site: Site) -> Page:
    """A fresh browser context (its own cookies) on the site."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 860})
    return context.new_page()


def sign_in(page: Page, role: Role) -> None:
    """Sign in through the form, as a person would."""
    page.goto("/login")
    page.get_by_label("User name").fill(role.value)
    page.get_by_label("Password").fill(PASSWORDS[role])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot for the docs."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


@pytest.fixture(scope="module")
def admin(browser: Browser, site: Site) -> Iterator[Page]:
    """A signed-in admin's page, kept for the module."""
    page = open_page(browser, site)
    sign_in(page, Role.ADMIN)
    yield page
    page.context.close()


def configure(page: Page, name: str, values: dict[str, str]) -> None:
    """Open the settings form of an integration, fill it and save it."""
    page.goto(f"/integrations/{name}")
    fill_and_save(page, values)


def fill_and_save(page: Page, values: dict[str, str]) -> None:
    """Fill the settings form on the page and save it."""
    for field, value in values.items():
        page.locator(f"#cfg-{field}").fill(value)
    page.get_by_role("button", name="Save settings").click()


def enable_and_run(page: Page, name: str) -> None:
    """Switch the integration on, run it now, and wait for the activity log to show success."""
    page.goto(f"/integrations/{name}")
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status").first).to_have_text("Integration enabled.")
    page.get_by_role("button", name="Run now").click()
    expect(page.locator(".notice")).to_contain_text("Run started")
    # The page refreshes itself while a run is in progress.
    newest = page.locator("table.runs tbody tr").first.locator(".badge")
    expect(newest).to_have_text("success", timeout=PATIENCE_MS)


@pytest.fixture(scope="module")
def sinkhole_ran(admin: Page, site: Site) -> None:
    """The sinkhole monitor configured through its form (after a refused value) and run."""
    configure(
        admin,
        "ctac-sinkhole",
        {
            "api_url": site.simulator.base_url,
            "api_key": KEY,
            "cidr_blocks": "198.51.100.0/24, 10.1.2.300/24",
        },
    )
    error = admin.locator("#err-cidr_blocks")
    expect(error).to_contain_text("10.1.2.300/24")
    expect(admin.locator("#cfg-cidr_blocks")).to_have_attribute("aria-invalid", "true")
    expect(admin.locator("#cfg-api_key")).to_have_value("")  # the secret is not sent back
    shoot(admin, "integration-config-error")
    # The refused form keeps what was typed (but the secret), so only the error needs fixing.
    expect(admin.locator("#cfg-api_url")).to_have_value(site.simulator.base_url)
    fill_and_save(admin, {"api_key": KEY, "cidr_blocks": BLOCKS})
    expect(admin.locator(".notice")).to_have_text("Settings saved.")
    enable_and_run(admin, "ctac-sinkhole")
    shoot(admin, "integration-activity")


@pytest.fixture(scope="module")
def keylogger_ran(admin: Page, site: Site) -> None:
    """The keylogger monitor configured for the organisation's domains and run."""
    configure(
        admin,
        "ctac-keylogger",
        {"api_url": site.simulator.base_url, "api_key": KEY, "domains": DOMAINS},
    )
    expect(admin.locator(".notice")).to_have_text("Settings saved.")
    enable_and_run(admin, "ctac-keylogger")


def test_sign_in_takes_the_visitor_where_they_were_going(browser: Browser, site: Site) -> None:
    page = open_page(browser, site)
    page.goto("/events")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fevents$"))
    expect(page.get_by_label("User name")).to_be_focused()
    page.keyboard.type("analyst")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    expect(page.get_by_label("Password")).to_have_value("")
    shoot(page, "login")
    page.get_by_label("Password").fill(PASSWORDS[Role.ANALYST])
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/events$"))
    expect(page.get_by_role("heading", name="Events")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    cookie = next(c for c in page.context.cookies() if c["name"] == "tipwire_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    page.context.close()


def test_the_sinkhole_event_pivots_to_a_url_its_malware_family_and_back(
    admin: Page, sinkhole_ran: None
) -> None:
    admin.goto("/events")
    first = admin.get_by_role("link", name=re.compile(r"^CTAC sinkhole: \d+ hits from ")).first
    first.click()
    event_url = admin.url
    expect(admin.get_by_role("heading", name="Related indicators")).to_be_visible()
    expect(admin.get_by_role("heading", name=re.compile(r"^URL \(\d+\)$"))).to_be_visible()
    expect(admin.locator(".badge-active").first).to_be_visible()
    shoot(admin, "event-detail")

    urls = admin.locator("section.group", has=admin.get_by_role("heading", name=re.compile("^URL")))
    urls.locator("td.value a").first.click()
    expect(admin.locator(".crumbs")).to_contain_text("URL")
    family = admin.locator("table tr", has_text="Malware Family")
    expect(family.first).to_be_visible()
    expect(family.first.locator("td").nth(1)).not_to_be_empty()
    shoot(admin, "indicator-url")

    admin.get_by_role("region", name="Related events").get_by_role("link").first.click()
    assert admin.url == event_url


def test_an_analyst_changes_an_indicator_status(
    browser: Browser, site: Site, sinkhole_ran: None
) -> None:
    page = open_page(browser, site)
    sign_in(page, Role.ANALYST)
    page.goto("/indicators?type=FQDN&status=Active")
    page.locator("td.value a").first.click()
    expect(page.locator(".summary .badge")).to_have_text("Active")
    page.get_by_label("Status", exact=True).select_option("Review")
    page.get_by_label(re.compile(r"^Manual score")).fill("8")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".notice")).to_have_text("Indicator updated.")
    expect(page.locator(".summary .badge")).to_have_text("Review")
    expect(page.locator(".summary")).to_contain_text("8 / 10")
    page.context.close()


def test_keylogger_emails_are_whitelisted_with_keylogger_and_leak_location(
    admin: Page, keylogger_ran: None
) -> None:
    admin.goto("/indicators?type=Email+Address")
    badges = admin.locator("tbody .badge")
    expect(badges.first).to_be_visible()
    assert set(badges.all_inner_texts()) == {"Whitelisted"}
    admin.locator("td.value a").first.click()
    names = admin.locator("table tbody tr td:first-child").all_inner_texts()
    assert {"Keylogger", "Leak Location"} <= set(names)
    assert "Password" not in " ".join(names).replace("Password Captured", "")
    expect(admin.get_by_role("region", name="Related events")).to_contain_text("Login Compromise")
    shoot(admin, "keylogger-email")


def test_a_viewer_sees_settings_but_no_configure_form(
    browser: Browser, site: Site, sinkhole_ran: None
) -> None:
    page = open_page(browser, site)
    sign_in(page, Role.VIEWER)
    page.goto("/integrations/ctac-sinkhole")
    expect(page.get_by_text("Only an admin can change these settings.")).to_be_visible()
    assert page.locator("form[action$='/config']").count() == 0
    assert page.get_by_role("button", name="Run now").count() == 0
    expect(page.locator("dl.settings")).to_contain_text("********")
    assert KEY not in page.content()
    page.context.close()


def test_the_dashboard_counts_new_events_and_shows_each_integration(
    admin: Page, sinkhole_ran: None, keylogger_ran: None
) -> None:
    admin.goto("/")
    day = admin.locator(".tile", has_text="new events in the last 24 hours").locator(".count")
    assert int(day.inner_text()) >= 2
    rows = admin.locator("table tbody tr")
    expect(rows.filter(has_text="CTAC sinkhole monitor")).to_contain_text("success")
    expect(rows.filter(has_text="CTAC keylogger monitor")).to_contain_text("success")
    shoot(admin, "dashboard")
    admin.get_by_label("Search indicators and events").fill("example.com")
    admin.get_by_label("Search indicators and events").press("Enter")
    expect(admin.get_by_role("heading", name=re.compile(r"^Indicators \(\d+\)$"))).to_be_visible()
