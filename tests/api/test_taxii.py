"""A SIEM subscribing with taxii2-client to the TAXII 2.1 server of a real `tipwire serve`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from stix2validator import ValidationOptions, validate_string
from taxii2client.common import TokenAuth
from taxii2client.v21 import Collection, Server, as_pages

from tipwire.taxii.collections import collection_id

from .conftest import tipwire

DOCS = Path(__file__).parents[2] / "docs" / "taxii.md"
ACTIVE_IPS = [f"203.0.113.{n}" for n in range(1, 8)]
MEDIA = "application/taxii+json;version=2.1"


def consume(url: str, token: str, body: list[dict[str, Any]]) -> None:
    answer = httpx.post(
        f"{url}/api/indicators/consume", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text


def token_of(url: str, **form: str) -> str:
    answer = httpx.post(f"{url}/api/token", data=form)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@pytest.fixture
def feeds(served: tuple[str, dict[str, str]]) -> tuple[str, str, tuple[str, str]]:
    """Indicators of every status from two sources; the URL, an analyst token, a viewer client."""
    url, env = served
    analyst = json.loads(
        tipwire(env, "users", "create", "ana", "--role", "analyst", "--generate", "--json")
    )
    siem = json.loads(tipwire(env, "clients", "create", "siem", "--role", "viewer", "--json"))
    token = token_of(url, grant_type="password", username="ana", password=analyst["password"])
    one = {"name": "Feed One", "tlp": "GREEN"}
    consume(
        url,
        token,
        [{"type": "IP Address", "value": v, "status": "Active", "source": one} for v in ACTIVE_IPS]
        + [
            {"type": "IP Address", "value": "192.0.2.50", "status": "Review", "source": one},
            {"type": "Email Address", "value": "ceo@example.com", "status": "Whitelisted"},
            {"type": "String", "value": "free text clue", "status": "Active", "source": one},
        ],
    )
    two = {"name": "Feed Two", "tlp": "AMBER"}
    consume(
        url,
        token,
        [{"type": "FQDN", "value": "bad.example.net", "status": "Active", "source": two}],
    )
    return url, token, (siem["client_id"], siem["client_secret"])


def patterns(objects: list[dict[str, Any]]) -> set[str]:
    return {o["pattern"] for o in objects if o["type"] == "indicator"}


def ip_patterns(values: list[str]) -> set[str]:
    return {f"[ipv4-addr:value = '{value}']" for value in values}


def by_title(collections: list[Collection], title: str) -> Collection:
    return next(c for c in collections if c.title == title)


def test_a_siem_pages_polls_and_fetches_with_taxii2_client(
    feeds: tuple[str, str, tuple[str, str]],
) -> None:
    url, token, (client_id, secret) = feeds
    server = Server(f"{url}/taxii2/", user=client_id, password=secret)
    assert server.title == "TipWire TAXII server"
    api_root = server.default
    assert api_root is not None and api_root.url == f"{url}/taxii2/api/"
    assert api_root.versions == [MEDIA]
    found = api_root.collections
    active = by_title(found, "Active indicators")
    feed_two = by_title(found, "Active indicators from Feed Two")
    assert active.can_read and not active.can_write
    assert feed_two.id == collection_id("Feed Two") == str(uuid.UUID(feed_two.id))

    pages = list(as_pages(active.get_objects, per_request=3))
    assert len(pages) >= 4 and all(len(page.get("objects", [])) <= 3 for page in pages)
    objects = [o for page in pages for o in page.get("objects", [])]
    assert len({o["id"] for o in objects}) == len(objects)
    assert patterns(objects) == ip_patterns(ACTIVE_IPS) | {
        "[domain-name:value = 'bad.example.net']"
    }
    text = json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects})
    assert [str(e) for e in validate_string(text, ValidationOptions(version="2.1")).errors] == []
    assert {o["name"] for o in objects if o["type"] == "identity"} >= {"Feed One", "Feed Two"}

    manifest = [r for page in as_pages(active.get_manifest, per_request=4) for r in page["objects"]]
    assert [r["id"] for r in manifest] == [o["id"] for o in objects]
    versions = {o["id"]: o.get("modified", o.get("created")) for o in objects}
    assert all(r["version"] == versions[r["id"]] for r in manifest)
    wanted = next(o for o in objects if o["type"] == "indicator")
    assert active.get_object(wanted["id"])["objects"] == [wanted]
    assert patterns(feed_two.get_objects(type="indicator")["objects"]) == {
        "[domain-name:value = 'bad.example.net']"
    }

    # Incremental polling: only what is new or changed since the last date added.
    watermark = max(r["date_added"] for r in manifest)
    consume(url, token, [{"type": "IP Address", "value": "198.51.100.1", "status": "Active"}])
    review = httpx.get(
        f"{url}/api/indicators",
        params={"value": "192.0.2.50"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["data"][0]
    changed = httpx.put(
        f"{url}/api/indicators/{review['id']}",
        json={"status": "Active"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert changed.status_code == 200
    fresh = active.get_objects(added_after=watermark)
    assert patterns(fresh["objects"]) == ip_patterns(["198.51.100.1", "192.0.2.50"])
    assert fresh["more"] is False


def test_bearer_tokens_headers_and_taxii_errors(feeds: tuple[str, str, tuple[str, str]]) -> None:
    url, _token, (client_id, secret) = feeds
    viewer = token_of(
        url, grant_type="client_credentials", client_id=client_id, client_secret=secret
    )
    by_token = Server(f"{url}/taxii2/", auth=TokenAuth(viewer))
    active = by_title(by_token.default.collections, "Active indicators")
    assert len(active.get_objects(limit=2)["objects"]) == 2

    objects_url = f"{url}/taxii2/api/collections/{collection_id(None)}/objects/"
    bearer = {"Authorization": f"Bearer {viewer}", "Accept": MEDIA}
    answer = httpx.get(objects_url, params={"match[type]": "indicator"}, headers=bearer)
    assert answer.headers["content-type"] == MEDIA
    dates = [
        r["date_added"]
        for r in httpx.get(
            objects_url.replace("objects/", "manifest/"),
            params={"match[type]": "indicator"},
            headers=bearer,
        ).json()["objects"]
    ]
    assert answer.headers["x-taxii-date-added-first"] == dates[0]
    assert answer.headers["x-taxii-date-added-last"] == dates[-1]

    def error(response: httpx.Response, status: int) -> None:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == MEDIA
        body = response.json()
        assert body["http_status"] == str(status) and body["title"] and body["description"]

    error(httpx.get(f"{url}/taxii2/"), 401)
    error(httpx.get(f"{url}/taxii2/", auth=(client_id, "not-the-secret")), 401)
    error(httpx.get(f"{url}/taxii2/", headers={"Authorization": "Bearer twa_nope"}), 401)
    error(httpx.get(f"{url}/taxii2/api/", headers=bearer | {"Accept": "application/xml"}), 406)
    error(httpx.get(f"{url}/taxii2/api/collections/nope/", headers=bearer), 404)
    error(httpx.get(f"{objects_url}indicator--{uuid.uuid4()}/", headers=bearer), 404)
    error(httpx.get(objects_url, params={"added_after": "yesterday"}, headers=bearer), 400)
    error(httpx.get(objects_url, params={"next": "not-a-token"}, headers=bearer), 400)
    error(httpx.get(objects_url, params={"limit": "0"}, headers=bearer), 400)

    wrong = Server(f"{url}/taxii2/", user=client_id, password="not-the-secret")
    with pytest.raises(requests.HTTPError) as refused:
        wrong.refresh()
    assert refused.value.response.status_code == 401


def test_the_documented_poller_prints_only_what_is_new(
    feeds: tuple[str, str, tuple[str, str]], tmp_path: Path
) -> None:
    url, token, (client_id, secret) = feeds
    text = DOCS.read_text()
    assert collection_id(None) in text  # the documented id of "Active indicators"
    code = re.search(r"```python\n(.*?)```", text, re.S)
    assert code is not None
    script = tmp_path / "poll_tipwire.py"
    script.write_text(code.group(1))
    env = {
        "PATH": "/usr/bin:/bin",
        "TIPWIRE_TAXII_URL": f"{url}/taxii2/",
        "TIPWIRE_CLIENT_ID": client_id,
        "TIPWIRE_CLIENT_SECRET": secret,
    }

    def poll() -> list[str]:
        done = subprocess.run(
            [sys.executable, str(script), str(tmp_path / "since")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return sorted(done.stdout.splitlines())

    assert set(poll()) == ip_patterns(ACTIVE_IPS) | {"[domain-name:value = 'bad.example.net']"}
    assert poll() == []
    consume(url, token, [{"type": "URL", "value": "http://bad.example.net/x", "status": "Active"}])
    assert poll() == ["[url:value = 'http://bad.example.net/x']"]
