"""Secret keys: a 0600 key file made once, TIPWIRE_SECRET_KEY when set, and masking of values."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tipwire.config import Settings
from tipwire.errors import ConfigurationError
from tipwire.exchange.secrets import MASK, Redactor, SecretBox, load_or_create_key_file


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret_key=None)
    token = SecretBox.from_settings(settings).encrypt("S3cret")
    key_file = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert SecretBox.from_settings(settings).decrypt(token, "api_key") == "S3cret"
    assert b"S3cret" not in token.encode()


def test_racing_processes_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_or_create_key_file(path), range(16)))
    assert len(keys) == 1
    assert list(tmp_path.iterdir()) == [path]


def test_environment_key_wins_and_may_be_a_passphrase(tmp_path: Path) -> None:
    passphrase = Settings(data_dir=tmp_path, secret_key="correct horse battery staple")
    token = SecretBox.from_settings(passphrase).encrypt("v")
    assert SecretBox.from_settings(passphrase).decrypt(token, "x") == "v"
    fernet_key = Fernet.generate_key().decode()
    assert SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key=fernet_key))
    assert not (tmp_path / "secret.key").exists()


def test_a_changed_key_is_reported_naming_the_setting(tmp_path: Path) -> None:
    token = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key="one")).encrypt("v")
    other = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key="two"))
    with pytest.raises(ConfigurationError, match="ctac-sinkhole api_key: cannot be decrypted"):
        other.decrypt(token, "ctac-sinkhole api_key")


def test_redactor_masks_values_and_their_url_encodings() -> None:
    redact = Redactor(["p@ss word!", "ab"])
    text = redact("GET /x?key=p%40ss+word%21 failed for p@ss word!; ab stays")
    assert text == f"GET /x?key={MASK} failed for {MASK}; ab stays"
