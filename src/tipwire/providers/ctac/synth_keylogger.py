"""Synthetic keylogger captures, rendered straight to JSON lines by id range."""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Final

import numpy as np

from tipwire.providers.ctac.records import REDACTED_PASSWORD
from tipwire.providers.ctac.synth import (
    ALPHANUMERIC,
    UPPER_ALPHANUMERIC,
    AddressPool,
    Draws,
    cumulative,
    malform,
    malformed_mask,
    stream_key,
    timestamps,
)
from tipwire.providers.ctac.vocab_keylogger import (
    BROWSERS,
    CORPORATE_URLS,
    EMAIL_DOMAINS,
    FILE_CLIENTS,
    FIRST_NAMES,
    HOST_PREFIXES,
    KEYLOGGERS,
    LAST_NAMES,
    MAIL_CLIENTS,
    PUBLIC_SITES,
    WEBMAIL_LOGINS,
)

STEP_SECONDS: Final = 60.0
PLAINTEXT_MARKER: Final = "SIMPW-"
"""Every fake plaintext password served with ``unredacted`` starts with this marker."""
NO_PASSWORD_SHARE: Final = 1 / 3

(_FAMILY, _DOMAIN, _FIRST, _LAST, _LOCAL_STYLE, _DIGITS, _USER_STYLE, _APP, _SITE, _HOST,
 _HOST_STYLE, _PASSWORD, _NO_PASSWORD, _TIME, _BREAK, _BROKEN, _ADDRESS) = range(17)  # fmt: skip


def _local_part(first: str, last: str, style: int, digits: int) -> str:
    """Return a mailbox name built the ways people build theirs."""
    if style == 0:
        return f"{first}.{last}"
    if style == 1:
        return f"{first[0]}{last}"
    if style == 2:
        return f"{first}{digits % 100}"
    if style == 3:
        return f"{last}.{first[0]}"
    return f"{first}_{last}{digits % 1000}"


class KeyloggerSynth:
    """Renders keylogger capture number n of a seed, the same for every call and process."""

    def __init__(
        self,
        seed: int,
        epoch: datetime,
        malformed_rate: float = 0.0,
        *,
        unredacted: bool = False,
    ) -> None:
        rng = random.Random(stream_key(seed, "keylogger-vocabulary"))
        self._key = stream_key(seed, "keylogger")
        self._epoch = epoch
        self._malformed_rate = malformed_rate
        self._unredacted = unredacted
        self._pool = AddressPool(rng)
        self._families = [json.dumps(name, ensure_ascii=False) for name, _ in KEYLOGGERS]
        self._family_weights = cumulative([weight for _, weight in KEYLOGGERS])
        self._domains = [domain for domain, _, _ in EMAIL_DOMAINS]
        self._domain_weights = cumulative([weight for _, weight, _ in EMAIL_DOMAINS])
        self._corporate = [kind == "corporate" for _, _, kind in EMAIL_DOMAINS]
        self._apps = [(app, "") for app in BROWSERS] + list(MAIL_CLIENTS) + list(FILE_CLIENTS)
        # Most captures come from browsers; mail and FTP clients follow.
        self._app_weights = cumulative([8.0] * len(BROWSERS) + [3.0] * 4 + [1.0] * 3)

    def lines(self, first_id: int, stop_id: int) -> list[str]:
        """Return the JSON lines (without newlines) of captures ``first_id`` to ``stop_id - 1``."""
        if stop_id <= first_id:
            return []
        ids = np.arange(first_id, stop_id, dtype=np.int64)
        draws = Draws(ids, self._key)
        captured = timestamps(ids, draws, _TIME, self._epoch, STEP_SECONDS)
        emails, usernames, domains = self._accounts(draws)
        apps, sites = self._where_typed(draws, domains)
        victims = self._pool.addresses(draws, _ADDRESS)
        hosts = self._hosts(draws)
        passwords = self._passwords(draws)
        families = draws.weighted(_FAMILY, self._family_weights).tolist()
        lines = [
            f'{{"id":{record_id},"captured_at":"{at}","email":{email},"username":{user},'
            f'"keylogger":{self._families[family]},"leak_url":{site},"application":{app},'
            f'"victim_ip":"{victim}","victim_host":"{host}"{password}}}'
            for record_id, at, email, user, family, site, app, victim, host, password in zip(
                ids.tolist(), captured, emails, usernames, families, sites, apps, victims, hosts,
                passwords, strict=True,
            )
        ]  # fmt: skip
        broken = malformed_mask(draws, _BROKEN, self._malformed_rate)
        if broken:
            choices = draws.below(_BREAK, 60)
            for i in broken:
                lines[i] = malform(
                    lines[i], int(choices[i]), "keylogger", "victim_ip", "captured_at"
                )
        return lines

    def _accounts(self, draws: Draws) -> tuple[list[str], list[str], list[int]]:
        """Return the JSON of each email and username, and each email's domain index."""
        domains = draws.weighted(_DOMAIN, self._domain_weights).tolist()
        firsts = draws.below(_FIRST, len(FIRST_NAMES)).tolist()
        lasts = draws.below(_LAST, len(LAST_NAMES)).tolist()
        styles = draws.below(_LOCAL_STYLE, 5).tolist()
        digits = draws.below(_DIGITS, 100000).tolist()
        user_styles = draws.below(_USER_STYLE, 20).tolist()
        emails: list[str] = []
        usernames: list[str] = []
        for domain, first, last, style, number, user_style in zip(
            domains, firsts, lasts, styles, digits, user_styles, strict=True
        ):
            local = _local_part(FIRST_NAMES[first], LAST_NAMES[last], style, number)
            email = json.dumps(f"{local}@{self._domains[domain]}", ensure_ascii=False)
            emails.append(email)
            # Web logins mostly take the address itself; programs often a bare account name.
            if user_style < 12:
                usernames.append(email)
            elif user_style < 17:
                usernames.append(f'"{local}"')
            else:
                usernames.append(f'"{FIRST_NAMES[first][0]}{LAST_NAMES[last]}{number % 10}"')
        return emails, usernames, domains

    def _where_typed(self, draws: Draws, domains: list[int]) -> tuple[list[str], list[str]]:
        """Return the JSON of each capture's application and leak URL."""
        app_choices = draws.weighted(_APP, self._app_weights).tolist()
        site_choices = draws.below(_SITE, 1 << 30).tolist()
        apps: list[str] = []
        sites: list[str] = []
        for app_index, domain_index, site in zip(app_choices, domains, site_choices, strict=True):
            app, template = self._apps[app_index]
            domain = self._domains[domain_index]
            if not template:
                template = self._web_login(domain_index, site)
            apps.append(json.dumps(app, ensure_ascii=False))
            sites.append(json.dumps(template.format(domain=domain), ensure_ascii=False))
        return apps, sites

    def _web_login(self, domain_index: int, choice: int) -> str:
        """Return where a browser user typed a credential: their mail, work, or a public site."""
        domain = self._domains[domain_index]
        if choice % 2 == 0:
            return PUBLIC_SITES[(choice >> 1) % len(PUBLIC_SITES)]
        if self._corporate[domain_index]:
            return CORPORATE_URLS[(choice >> 1) % len(CORPORATE_URLS)]
        return WEBMAIL_LOGINS[domain]

    def _hosts(self, draws: Draws) -> list[str]:
        """Return each victim machine's Windows-style host name."""
        styles = draws.below(_HOST_STYLE, len(HOST_PREFIXES)).tolist()
        suffixes = draws.text(_HOST, 8, UPPER_ALPHANUMERIC)
        return [
            HOST_PREFIXES[style] + suffix for style, suffix in zip(styles, suffixes, strict=True)
        ]

    def _passwords(self, draws: Draws) -> list[str]:
        """Return each capture's password member, JSON with its leading comma, or nothing."""
        missing = draws.uniform(_NO_PASSWORD).tolist()
        if self._unredacted:
            secrets = [
                f',"password":"{PLAINTEXT_MARKER}{text}"'
                for text in draws.text(_PASSWORD, 10, ALPHANUMERIC)
            ]
        else:
            secrets = [f',"password":"{REDACTED_PASSWORD}"'] * len(missing)
        # A third carry no password: half say so with "", half leave the member out.
        return [
            secret
            if share >= NO_PASSWORD_SHARE
            else (',"password":""' if share < NO_PASSWORD_SHARE / 2 else "")
            for secret, share in zip(secrets, missing, strict=True)
        ]
