"""The web UI over real HTTP: sessions, CSRF, roles, rendering of stored objects, no secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tipwire.identity import Role
from tipwire.model import (
    Attribute,
    Event,
    EventType,
    Indicator,
    IndicatorType,
    IngestBatch,
    Source,
    Status,
)
from tipwire.store import Store, audit, queries

from ..api.conftest import LiveServer
from .conftest import CSRF, PASSWORDS, SignIn, csrf_of

PAGES = (
    "/",
    "/events",
    "/events/1",
    "/indicators",
    "/indicators/1",
    "/integrations",
    "/integrations/ctac-sinkhole",
    "/whitelist",
    "/search?q=x",
)
POSTS = (
    "/logout",
    "/indicators/1/status",
    "/integrations/ctac-sinkhole/config",
    "/integrations/ctac-sinkhole/enable",
    "/integrations/ctac-sinkhole/run",
    "/whitelist",
    "/whitelist/1/remove",
)
URL = "http://sinkholed.example/gate.php"
SECRET = "web-test-secret-api-key-7731"


def seed(store: Store) -> dict[str, int]:
    """One sinkhole-like event with a host, a URL (with Malware Family) and an FQDN."""
    seen = datetime.now(UTC) - timedelta(hours=2)
    family = Attribute("Malware Family", "Zeus", seen)
    host = Indicator(IndicatorType.IP_ADDRESS, "198.51.100.7", Status.REVIEW, first_seen=seen)
    url = Indicator(IndicatorType.URL, URL, Status.ACTIVE, attributes=[family], first_seen=seen)
    fqdn = Indicator(IndicatorType.FQDN, "sinkholed.example", Status.ACTIVE, first_seen=seen)
    event = Event(
        "Test sinkhole: 1 hit from 198.51.100.0/24",
        EventType.COMMAND_AND_CONTROL,
        seen,
        description="A host <b>called</b> a sinkhole.",
        key="web-test-event",
        attributes=[Attribute("Monitored Block", "198.51.100.0/24")],
    )
    batch = IngestBatch(Source("Web Test Feed"))
    batch.add(event, host, url, fqdn)
    for indicator in (host, url, fqdn):
        batch.relate(event, indicator)
    batch.relate(host, url)
    store.ingest(batch)
    with store.read() as connection:
        ids = {
            v.type: v.id
            for v in queries.list_indicators(connection, queries.IndicatorQuery()).items
        }
        event_id = queries.list_events(connection, queries.EventQuery()).items[0].id
    return {"event": event_id, "host": ids["IP Address"], "url": ids["URL"], "fqdn": ids["FQDN"]}


def status_of(store: Store, indicator_id: int) -> str:
    with store.read() as connection:
        return queries.get_indicator(connection, indicator_id).status


def test_every_page_sends_a_visitor_without_a_session_to_login(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as client:
        for path in PAGES:
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/login?next=%2F"), path
        for path in POSTS:
            answer = client.post(path, data={"csrf_token": "x"})
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/login"), path
        form = client.get("/login")
        assert form.status_code == 200
        assert 'type="password"' in form.text
        assert form.headers["content-security-policy"].startswith("default-src 'none'")


def test_sign_in_sets_an_http_only_same_site_cookie_and_sign_out_revokes_it(
    live: LiveServer, users: dict[Role, str]
) -> None:
    with httpx.Client(base_url=live.url) as client:
        token = csrf_of(client, "/login")
        answer = client.post(
            "/login",
            data={
                "csrf_token": token,
                "username": users[Role.VIEWER],
                "password": PASSWORDS[Role.VIEWER],
                "next": "/events?type=Malware",
            },
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/events?type=Malware"
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("tipwire_session=")
        )
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert "secure" not in flags  # plain http here; https sets it
        session = client.cookies["tipwire_session"]
        assert session not in client.get("/").text
        logout = client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
        assert logout.status_code == 303
    # The copied cookie is dead too: the session was revoked, not only forgotten.
    with httpx.Client(base_url=live.url, cookies={"tipwire_session": session}) as stale:
        assert stale.get("/").status_code == 303


def test_a_wrong_password_is_refused_and_never_echoed(
    live: LiveServer, users: dict[Role, str]
) -> None:
    with httpx.Client(base_url=live.url) as client:
        token = csrf_of(client, "/login")
        answer = client.post(
            "/login",
            data={"csrf_token": token, "username": users[Role.ADMIN], "password": "guess-12345"},
        )
        assert answer.status_code == 401
        assert "Wrong user name or password" in answer.text
        assert "guess-12345" not in answer.text
        assert "tipwire_session" not in client.cookies
        no_form_token = client.post(
            "/login", data={"username": users[Role.ADMIN], "password": PASSWORDS[Role.ADMIN]}
        )
        assert no_form_token.status_code == 403
        assert "tipwire_session" not in client.cookies


def test_after_sign_in_the_next_page_stays_on_this_site(
    live: LiveServer, users: dict[Role, str]
) -> None:
    with httpx.Client(base_url=live.url) as client:
        answer = client.post(
            "/login",
            data={
                "csrf_token": csrf_of(client, "/login"),
                "username": users[Role.VIEWER],
                "password": PASSWORDS[Role.VIEWER],
                "next": "//elsewhere.example/steal",
            },
        )
        assert answer.headers["location"] == "/"


def test_posts_without_the_session_csrf_token_change_nothing(
    store: Store, signed_in: SignIn
) -> None:
    ids = seed(store)
    analyst = signed_in(Role.ANALYST)
    path = f"/indicators/{ids['url']}/status"
    missing = analyst.post(path, data={"status": "Whitelisted"})
    wrong = analyst.post(path, data={"status": "Whitelisted", "csrf_token": "0" * 64})
    other = signed_in(Role.ADMIN)  # another session's token is wrong for this one
    foreign = analyst.post(path, data={"status": "Whitelisted", "csrf_token": csrf_of(other, "/")})
    for refused in (missing, wrong, foreign):
        assert refused.status_code == 403
        assert "CSRF" in refused.text
    assert status_of(store, ids["url"]) == "Active"
    done = analyst.post(
        path,
        data={
            "status": "Whitelisted",
            "score": "3",
            "csrf_token": csrf_of(analyst, path.rsplit("/", 1)[0]),
        },
    )
    assert done.status_code == 303
    assert status_of(store, ids["url"]) == "Whitelisted"
    with store.read() as connection:
        entries = audit.list_entries(connection, object_type="indicator").items
    assert [(e.actor, e.action) for e in entries] == [("user:analyst", "indicator.change")]
    assert entries[0].after == {"status": "Whitelisted", "score": 3}


def test_roles_decide_who_changes_what(store: Store, signed_in: SignIn) -> None:
    ids = seed(store)
    viewer = signed_in(Role.VIEWER)
    path = f"/indicators/{ids['url']}"
    page = viewer.get(path)
    assert "Change status" not in page.text
    refused = viewer.post(
        f"{path}/status", data={"status": "Expired", "csrf_token": csrf_of(viewer, path)}
    )
    assert refused.status_code == 403
    assert "analyst role" in refused.text
    assert status_of(store, ids["url"]) == "Active"

    analyst = signed_in(Role.ANALYST)
    sinkhole = "/integrations/ctac-sinkhole"
    for reader in (viewer, analyst):
        shown = reader.get(sinkhole)
        assert shown.status_code == 200
        assert f'action="{sinkhole}/config"' not in shown.text
        assert f'action="{sinkhole}/run"' not in shown.text
        denied = reader.post(
            f"{sinkhole}/config",
            data={"cidr_blocks": "10.0.0.0/8", "csrf_token": csrf_of(reader, sinkhole)},
        )
        assert denied.status_code == 403
    admin = signed_in(Role.ADMIN)
    assert f'action="{sinkhole}/config"' in admin.get(sinkhole).text

    added = analyst.post(
        "/whitelist",
        data={"type": "FQDN", "pattern": "*.example", "csrf_token": csrf_of(analyst, "/whitelist")},
    )
    assert added.status_code == 303
    assert status_of(store, ids["fqdn"]) == "Whitelisted"
    bad = analyst.post(
        "/whitelist",
        data={
            "type": "IP Address",
            "pattern": "10.0.0.300",
            "csrf_token": csrf_of(analyst, "/whitelist"),
        },
    )
    assert bad.status_code == 422
    assert "10.0.0.300" in bad.text


def test_the_settings_form_names_the_bad_value_and_never_shows_the_secret(
    store: Store, signed_in: SignIn
) -> None:
    admin = signed_in(Role.ADMIN)
    page = "/integrations/ctac-sinkhole"
    fields = {
        "api_url": "http://127.0.0.1:9/",
        "api_key": SECRET,
        "cidr_blocks": "198.51.100.0/24, 10.1.2.300/24",
        "schedule": "",
        "event_type": "Command and Control",
        "retry_seconds": "60",
    }
    bad = admin.post(f"{page}/config", data={**fields, "csrf_token": csrf_of(admin, page)})
    assert bad.status_code == 422
    assert 'id="err-cidr_blocks"' in bad.text
    assert "10.1.2.300/24" in bad.text
    assert SECRET not in bad.text
    with store.read() as connection:
        assert audit.list_entries(connection).total == 0  # nothing saved

    fields["cidr_blocks"] = "198.51.100.0/24, 2001:db8:1000::/36"
    saved = admin.post(f"{page}/config", data={**fields, "csrf_token": csrf_of(admin, page)})
    assert saved.status_code == 303
    shown = admin.get(page)
    assert "198.51.100.0/24, 2001:db8:1000::/36" in shown.text
    assert "stored: leave empty to keep it" in shown.text
    # Saving again with the secret left empty keeps it.
    fields["api_key"] = ""
    fields["schedule"] = "*/5 * * * *"
    again = admin.post(f"{page}/config", data={**fields, "csrf_token": csrf_of(admin, page)})
    assert again.status_code == 303
    enabled = admin.post(f"{page}/enable", data={"csrf_token": csrf_of(admin, page)})
    assert enabled.status_code == 303
    viewer = signed_in(Role.VIEWER)
    for client in (admin, viewer):
        for path in ("/", "/integrations", page, "/events", "/indicators", "/whitelist"):
            assert SECRET not in client.get(path).text, path
    assert "********" in viewer.get(page).text
    with store.read() as connection:
        actions = [e.action for e in audit.list_entries(connection).items]
        assert SECRET not in str([e.after for e in audit.list_entries(connection).items])
    assert actions == ["integration.enable", "integration.configure", "integration.configure"]
    listed = viewer.get("/integrations").text
    assert "*/5 * * * *" in listed


def test_pages_show_the_event_its_indicators_and_the_pivots(
    store: Store, signed_in: SignIn
) -> None:
    ids = seed(store)
    viewer = signed_in(Role.VIEWER)
    listing = viewer.get("/events", params={"type": "Command and Control", "q": "sinkhole"})
    assert f'href="/events/{ids["event"]}"' in listing.text
    none = viewer.get(
        "/events", params={"since": (datetime.now(UTC) + timedelta(days=2)).date().isoformat()}
    )
    assert "No event matches" in none.text
    bad = viewer.get("/events", params={"type": "Bogus", "since": "yesterday"})
    assert bad.status_code == 422
    assert "&#39;Bogus&#39; is not an event type" in bad.text
    assert "&#39;yesterday&#39; is not a date" in bad.text

    event = viewer.get(f"/events/{ids['event']}").text
    assert "A host &lt;b&gt;called&lt;/b&gt; a sinkhole." in event  # escaped, never markup
    for heading in ("IP Address", "URL", "FQDN"):
        assert f"{heading} <span" in event
    assert "Malware Family</span> Zeus" in event
    assert f'href="/indicators/{ids["url"]}"' in event

    url = viewer.get(f"/indicators/{ids['url']}").text
    assert "Malware Family" in url and "Zeus" in url
    assert f'href="/events/{ids["event"]}"' in url  # pivot back to the event
    assert f'href="/indicators/{ids["host"]}"' in url  # and to the related host
    assert "Web Test Feed" in url

    found = viewer.get("/search", params={"q": "sinkholed.example"}).text
    assert f'href="/indicators/{ids["fqdn"]}"' in found
    filtered = viewer.get("/indicators", params={"type": "URL", "status": "Active"}).text
    assert URL in filtered and "198.51.100.7" not in filtered
    dashboard = viewer.get("/").text
    assert "new events in the last 24 hours" in dashboard
    assert f'href="/events/{ids["event"]}"' in dashboard
    assert viewer.get("/events/999999").status_code == 404
    assert viewer.get("/integrations/no-such").status_code == 404


def test_a_bad_score_is_named_and_nothing_changes(store: Store, signed_in: SignIn) -> None:
    ids = seed(store)
    analyst = signed_in(Role.ANALYST)
    path = f"/indicators/{ids['host']}"
    answer = analyst.post(
        f"{path}/status",
        data={"status": "Expired", "score": "eleven", "csrf_token": csrf_of(analyst, path)},
    )
    assert answer.status_code == 422
    assert "&#39;eleven&#39; must be a whole number from 0 to 10" in answer.text
    assert status_of(store, ids["host"]) == "Review"


@pytest.mark.parametrize("path", ["/events/abc", "/indicators/0"])
def test_malformed_ids_answer_not_found(signed_in: SignIn, path: str) -> None:
    assert signed_in(Role.VIEWER).get(path).status_code == 404


def test_the_cookie_is_secure_behind_an_https_proxy(
    live: LiveServer, users: dict[Role, str]
) -> None:
    # The server trusts X-Forwarded-Proto from a proxy on loopback, as behind a TLS terminator.
    proxied = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=live.url, headers=proxied) as client:
        page = client.get("/login")
        token = CSRF.search(page.text)
        assert token is not None
        # The login cookie came back Secure too, so this plain-http client must be handed it.
        nonce = page.cookies["tipwire_login"]
        client.cookies.clear()
        answer = client.post(
            "/login",
            headers={"Cookie": f"tipwire_login={nonce}"},
            data={
                "csrf_token": token[1],
                "username": users[Role.VIEWER],
                "password": PASSWORDS[Role.VIEWER],
            },
        )
        assert answer.status_code == 303
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("tipwire_session=")
        )
        assert "secure" in {part.strip().lower() for part in cookie.split(";")}


def test_text_with_a_nul_character_is_refused_on_every_database(
    live: LiveServer, signed_in: SignIn
) -> None:
    viewer = signed_in(Role.VIEWER)
    for path in ("/events", "/indicators", "/search"):
        answer = viewer.get(path, params={"q": "evil\x00"})
        assert answer.status_code == 400, path
        assert "NUL character" in answer.text
    with httpx.Client(base_url=live.url) as client:
        token = csrf_of(client, "/login")
        answer = client.post(
            "/login", data={"csrf_token": token, "username": "a\x00b", "password": "x" * 8}
        )
        assert answer.status_code == 400
