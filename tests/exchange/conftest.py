"""Fixtures for the exchange: the example plugins, in-process and installed as a real package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tipwire.config import Settings
from tipwire.exchange.configs import ConfigStore
from tipwire.exchange.registry import Registry
from tipwire.store import Store, make_engine

EXAMPLE_PACKAGE = Path(__file__).parents[1] / "plugins" / "example_plugin"
# In-process tests import the example plugins from source; subprocess tests install them.
sys.path.insert(0, str(EXAMPLE_PACKAGE / "src"))

from tipwire_example.sightings import SightingsIntegration  # noqa: E402
from tipwire_example.synthetic import SyntheticIntegration  # noqa: E402

# The console script pip made for the project, so subprocesses run `tipwire` as users do.
TIPWIRE = [str(Path(sys.executable).with_name("tipwire"))]


@pytest.fixture
def registry() -> Registry:
    """The example plugins, as a registry would hold them."""
    return Registry.of(SightingsIntegration, SyntheticIntegration)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose data dir (and so the key file) is private to the test."""
    return Settings(data_dir=tmp_path / "data", secret_key=None, database_url=None)


@pytest.fixture
def config_store(engine: Engine, registry: Registry, settings: Settings) -> ConfigStore:
    """A config store on each kind of database."""
    return ConfigStore(engine, registry, settings)


@pytest.fixture(scope="session")
def installed_examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example package installed by pip into its own directory, as a user would."""
    # Built from a copy: setuptools writes build files next to the sources it builds.
    source = tmp_path_factory.mktemp("example") / "example_plugin"
    shutil.copytree(EXAMPLE_PACKAGE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        env=os.environ | {"PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return target


class Site:
    """A data dir with a migrated SQLite database, and the `tipwire` command pointed at it."""

    def __init__(self, data_dir: Path, plugins: Path) -> None:
        self.data_dir = data_dir
        self.settings = Settings(data_dir=data_dir, secret_key=None, database_url=None)
        self.engine = make_engine(self.settings.effective_database_url)
        Store(self.engine).upgrade()
        self.registry = Registry.of(SightingsIntegration, SyntheticIntegration)
        self.configs = ConfigStore(self.engine, self.registry, self.settings)
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("TIPWIRE_DATABASE_URL", "TIPWIRE_SECRET_KEY", "PYTHONPATH")
        } | {"TIPWIRE_DATA_DIR": str(data_dir), "PYTHONPATH": str(plugins)}

    def setup(self, name: str, **values: object) -> None:
        """Configure and enable an integration."""
        self.configs.configure(name, values)
        self.configs.set_enabled(name, True)

    def tipwire(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run `tipwire ARGS` to completion."""
        return subprocess.run(
            [*TIPWIRE, *args],
            check=False,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start `tipwire ARGS` in the background."""
        return subprocess.Popen(
            [*TIPWIRE, *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def site_factory(tmp_path: Path, installed_examples: Path) -> Iterator[type[Site]]:
    """Makes sites in this test's tmp dir; their engines are disposed afterwards."""
    made: list[Site] = []

    class _Site(Site):
        def __init__(self, label: str = "site") -> None:
            super().__init__(tmp_path / label, installed_examples)
            made.append(self)

    yield _Site
    for site in made:
        site.engine.dispose()
