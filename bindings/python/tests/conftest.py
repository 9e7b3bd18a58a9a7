"""Fixtures for the trustkit tests: the real peers (notary-server, registry and the
interop repositories that tests/peers/ starts and builds) and a hermetic
environment per test.

Tests that need the peers take the ``peers`` fixture, which skips when
``TRUST_TEST_SERVER`` is unset (run ``tests/peers/start.sh STATE``,
``tests/peers/make-repos.sh STATE`` and ``source STATE/env`` first) and fails when
the other variables the env file sets are missing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import uuid
from typing import Any, Dict

import pytest

import trustkit

PASSPHRASE_VARS = ("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE")


@dataclasses.dataclass(frozen=True)
class Peers:
    """What tests/peers/start.sh and make-repos.sh wrote to STATE/env."""

    server: str
    ca: str
    registry: str
    registry_url: str
    passphrase: str
    repos: Dict[str, Any]

    def repo(self, case: str) -> Dict[str, Any]:
        """One interop repository of repos.json (made by the real docker/notary CLIs)."""
        return self.repos["repos"][case]


def _need(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: source the peers' STATE/env (tests/peers/README.md)")
    return value


@pytest.fixture(scope="session")
def peers() -> Peers:
    """The running peers; skips the test when TRUST_TEST_SERVER is unset."""
    if not os.environ.get("TRUST_TEST_SERVER"):
        pytest.skip("TRUST_TEST_SERVER is unset: start the peers (tests/peers/start.sh) and source STATE/env")
    repos_file = pathlib.Path(_need("TRUST_TEST_REPOS"))
    if not repos_file.is_file():
        pytest.fail(f"{repos_file} is missing: run tests/peers/make-repos.sh STATE")
    return Peers(
        server=_need("TRUST_TEST_SERVER"),
        ca=_need("TRUST_TEST_CA"),
        registry=_need("TRUST_TEST_REGISTRY"),
        registry_url=_need("TRUST_TEST_REGISTRY_URL"),
        passphrase=_need("TRUST_TEST_PASSPHRASE"),
        repos=json.loads(repos_file.read_text()),
    )


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """No docker config, server or passphrase from the caller's environment."""
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config))
    for name in (
        "DOCKER_CONTENT_TRUST_SERVER",
        "TRUST_SERVER_PASSPHRASE",
        "TRUST_PINNING",
        "NOTARY_ROOT_PASSPHRASE",
        "NOTARY_TARGETS_PASSPHRASE",
        "NOTARY_SNAPSHOT_PASSPHRASE",
        "NOTARY_DELEGATION_PASSPHRASE",
        *PASSPHRASE_VARS,
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def passphrases(monkeypatch: pytest.MonkeyPatch, peers: Peers) -> str:
    """Sets docker's root and repository passphrase variables; returns the passphrase."""
    for name in PASSPHRASE_VARS:
        monkeypatch.setenv(name, peers.passphrase)
    return peers.passphrase


@pytest.fixture
def trust_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    """A fresh, empty trust directory (keys and metadata cache)."""
    return tmp_path / "trust"


@pytest.fixture
def client(peers: Peers, trust_dir: pathlib.Path) -> trustkit.Client:
    """A client of the test server with a fresh trust directory (given as os.PathLike)."""
    return trustkit.Client(server=peers.server, trust_dir=trust_dir, ca=peers.ca)


@pytest.fixture
def reader(peers: Peers, tmp_path: pathlib.Path) -> trustkit.Client:
    """Another client with a trust directory of its own that asks the server every time
    (max_age=0): sees what the server has now."""
    return trustkit.Client(
        server=peers.server, trust_dir=str(tmp_path / "reader-trust"), ca=pathlib.Path(peers.ca), max_age=0
    )


ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def trust_cli(peers: Peers) -> pathlib.Path:
    """The ``trust`` CLI binary, to check trustkit against: ``$TRUST_BIN`` (ci.sh sets
    it), else ``target/debug/trust`` of ``$CARGO_TARGET_DIR`` or the workspace."""
    given = os.environ.get("TRUST_BIN")
    if given:
        candidates = [pathlib.Path(given)]
    else:
        target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
        candidates = [target / "debug" / "trust", target / "release" / "trust"]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    pytest.fail(f"no trust CLI at {', '.join(map(str, candidates))}: cargo build -p trust-cli, or set TRUST_BIN")


@pytest.fixture
def gun(peers: Peers) -> str:
    """A repository name no other test or run uses."""
    return f"{peers.registry}/pytest/{uuid.uuid4().hex[:16]}"
