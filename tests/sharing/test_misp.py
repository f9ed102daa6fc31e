"""MISP events built from the store load back with PyMISP, typed and tagged as MISP expects."""

from __future__ import annotations

from pymisp import MISPEvent

from tipwire.sharing.misp import event_json

from .conftest import INFECTED_HOST, WHITELISTED_EMAIL, Populated


def loaded(populated: Populated, event_id: int) -> MISPEvent:
    with populated.store.read() as connection:
        text = event_json(connection, event_id)
    event = MISPEvent()
    event.load(text)
    return event


def test_attributes_are_typed_and_categorised(populated: Populated) -> None:
    event = loaded(populated, populated.c2_event)
    kinds = {a.value: (a.type, a.category) for a in event.attributes}
    assert kinds["203.0.113.66"] == ("ip-dst", "Network activity")
    assert kinds[INFECTED_HOST] == ("ip-src", "Network activity")
    assert kinds["2001:db8::66"] == ("ip-dst", "Network activity")
    assert kinds["bad.example.net"] == ("domain", "Network activity")
    assert kinds["http://bad.example.net/gate.php?id='1'"] == ("url", "Network activity")
    assert kinds["phisher@bad.example.net"] == ("email-src", "Payload delivery")
    assert kinds["Mozilla/4.0 (compatible; Zeus\\bot)"] == ("user-agent", "Network activity")
    assert kinds["jdoe"] == ("target-user", "Targeting data")
    assert kinds["d41d8cd98f00b204e9800998ecf8427e"] == ("md5", "Payload delivery")
    assert kinds["AS64500"] == ("AS", "Network activity")


def test_to_ids_only_for_active_indicators(populated: Populated) -> None:
    event = loaded(populated, populated.c2_event)
    to_ids = {a.value: a.to_ids for a in event.attributes}
    assert to_ids["203.0.113.66"] is True
    assert to_ids["bad.example.net"] is True
    assert to_ids[INFECTED_HOST] is False  # Review
    assert to_ids["jdoe"] is False  # Review
    whitelisted = loaded(populated, populated.login_event)
    (email,) = [a for a in whitelisted.attributes if a.value == WHITELISTED_EMAIL]
    assert email.to_ids is False


def test_malware_family_and_tlp_become_tags(populated: Populated) -> None:
    event = loaded(populated, populated.c2_event)
    tags = {tag.name for tag in event.tags}
    assert {"malware:Zeus", "tlp:green", 'tipwire:event-type="Command and Control"'} <= tags
    (url,) = [a for a in event.attributes if a.type == "url"]
    assert [tag.name for tag in url.tags] == ["malware:Zeus"]
    login = loaded(populated, populated.login_event)
    assert {"malware:Agent Tesla", "tlp:amber+strict"} <= {tag.name for tag in login.tags}


def test_event_fields_and_stable_uuids(populated: Populated) -> None:
    first = loaded(populated, populated.c2_event)
    second = loaded(populated, populated.c2_event)
    assert first.info == "Zeus C2 seen"
    assert str(first.date) == "2024-05-01"
    assert first.uuid == second.uuid
    assert [a.uuid for a in first.attributes] == [a.uuid for a in second.attributes]
