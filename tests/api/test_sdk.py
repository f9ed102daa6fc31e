"""The SDK and the documented connector against a real `tipwire serve` process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tipwire.client import TipwireApiError, TipwireClient

from .conftest import tipwire

DOCS = Path(__file__).parents[2] / "docs" / "api.md"


def test_the_documented_connector_runs(served: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = served
    created = json.loads(
        tipwire(env, "clients", "create", "partner-feed", "--role", "analyst", "--json")
    )
    assert created["client_id"].startswith("twc_") and created["client_secret"]
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert code is not None
    assert len(code.group(1).splitlines()) < 30
    script = tmp_path / "partner_domains.py"
    script.write_text(code.group(1))
    domains = tmp_path / "domains.txt"
    domains.write_text("# partner list\nlogin-micros0ft.example\npay-pa1.example\n\n")
    run_env = env | {
        "TIPWIRE_URL": url,
        "TIPWIRE_CLIENT_ID": created["client_id"],
        "TIPWIRE_CLIENT_SECRET": created["client_secret"],
    }
    done = subprocess.run(
        [sys.executable, str(script), str(domains)],
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"event \d+: 2 domains", lines[0])
    assert sorted(line.split()[1] for line in lines[1:]) == [
        "login-micros0ft.example",
        "pay-pa1.example",
    ]
    again = subprocess.run(
        [sys.executable, str(script), str(domains)],
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert again.stdout.splitlines()[0] == lines[0]


def test_sdk_pages_renews_tokens_and_raises_named_errors(
    served: tuple[str, dict[str, str]],
) -> None:
    url, env = served
    analyst = json.loads(
        tipwire(env, "users", "create", "ana", "--role", "analyst", "--generate", "--json")
    )
    with TipwireClient(url, username="ana", password=analyst["password"]) as sdk:
        sent = sdk.consume_indicators(
            {"type": "IP Address", "value": f"192.0.2.{n}"} for n in range(1, 8)
        )
        assert [s["value"] for s in sent] == [f"192.0.2.{n}" for n in range(1, 8)]
        paged = list(sdk.pages("/indicators", page_size=2, sort="value"))
        assert [i["value"] for i in paged] == sorted(f"192.0.2.{n}" for n in range(1, 8))
        first_refresh = sdk._refresh
        sdk._expires = 0.0  # as if 30 minutes had passed: the next call renews
        assert sdk.find_indicator("192.0.2[.]3")[0]["value"] == "192.0.2.3"
        assert sdk._refresh != first_refresh
        stale = httpx.post(
            f"{url}/api/token", data={"grant_type": "refresh_token", "refresh_token": first_refresh}
        )
        assert stale.status_code == 400
        changed = sdk.set_status(sent[0]["id"], "Active")
        assert changed["status"] == "Active"
        with pytest.raises(TipwireApiError) as refused:
            sdk.consume_indicators([{"type": "IP Address", "value": "192.0.2.300"}])
        assert refused.value.status_code == 422
        assert refused.value.errors[0]["field"] == "0.IP Address"
        with pytest.raises(TipwireApiError) as forbidden:
            sdk.get("/audit")
        assert forbidden.value.status_code == 403
    with (
        TipwireClient(url, username="ana", password="not-her-password") as stranger,
        pytest.raises(TipwireApiError) as wrong,
    ):
        stranger.get("/indicators")
    assert wrong.value.errors[0]["field"] == "password"
