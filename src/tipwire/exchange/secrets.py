"""Encryption of integration secrets at rest, and scrubbing of secret values from text."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, quote_plus

from cryptography.fernet import Fernet, InvalidToken

from tipwire.config import Settings
from tipwire.errors import ConfigurationError

KEY_FILE = "secret.key"
MASK = "********"
# A passphrase in TIPWIRE_SECRET_KEY is stretched with scrypt; the salt only separates uses.
_SALT = b"tipwire/integration-secrets/v1"

log = logging.getLogger(__name__)


class SecretBox:
    """Encrypts and decrypts secret values with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """Use ``TIPWIRE_SECRET_KEY`` if set, else the key file in the data dir (made if absent)."""
        if settings.secret_key:
            return cls(key_from_text(settings.secret_key))
        return cls(load_or_create_key_file(settings.data_dir / KEY_FILE))

    def encrypt(self, value: str) -> str:
        """Return an authenticated, encrypted token for ``value``."""
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def decrypt(self, token: str, what: str) -> str:
        """Return the value inside ``token``; ``what`` names it if the key cannot open it."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise ConfigurationError(
                f"{what}: cannot be decrypted with this secret key (TIPWIRE_SECRET_KEY or "
                f"{KEY_FILE} in the data dir changed?); set it again with --set"
            ) from None


def key_from_text(text: str) -> bytes:
    """A Fernet key given as-is, or one derived from a passphrase."""
    candidate = text.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(candidate)) == 32:
            return candidate
    except ValueError:
        pass
    derived = hashlib.scrypt(candidate, salt=_SALT, n=2**14, r=8, p=1, dklen=32)
    return base64.urlsafe_b64encode(derived)


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, creating it (mode 0600) on first use; safe when processes race."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
        draft = Path(name)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
        try:
            # link() publishes a complete file or fails if another process was first.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users; it should be mode 0600", path)
    key = path.read_bytes().strip()
    try:
        Fernet(key)
    except ValueError:
        raise ConfigurationError(f"{path} does not hold a valid key") from None
    return key


class Redactor:
    """Replaces known secret values (and their URL-encoded forms) in text with a mask."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            # Very short values would mask ordinary words; no credential is that short.
            if len(secret) >= 4:
                forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret value masked."""
        for form in self._forms:
            text = text.replace(form, MASK)
        return text
