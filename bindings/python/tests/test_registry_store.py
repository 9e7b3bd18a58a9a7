"""The registry store (``server="oci://"`` and ``"oci://HOST[:PORT]/PATH"``,
docs/registry-store.md) against the test registry, with no trust server: what the
``trust`` CLI signs there trustkit verifies and inspects to the same digests and JSON,
and what trustkit signs there (tags, signers) the CLI verifies and inspects."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import uuid

import pytest

import trustkit
from registry import push_image
from test_signers import ALICE

# The CLI's variables that would change what a command here does.
CLI_VARS = (
    "DOCKER_CONTENT_TRUST",
    "DOCKER_CONTENT_TRUST_SERVER",
    "TRUST_PINNING",
    "TRUST_MAX_AGE",
    "TRUST_OFFLINE_OK",
    "TRUST_TIMEOUT",
    "TRUST_MIN_RATE",
    "TRUST_BUNDLE",
    "TRUST_FROZEN",
)


class Cli:
    """``trust --server SERVER --trust-dir DIR ...`` with the test's environment
    (its DOCKER_CONFIG and passphrases), no stdin."""

    def __init__(self, binary: pathlib.Path, home: pathlib.Path):
        self.binary = binary
        self.home = home

    def run(self, server: str, who: str, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k not in CLI_VARS}
        command = [str(self.binary), "--server", server, "--trust-dir", str(self.home / who), *args]
        return subprocess.run(
            command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False
        )

    def ok(self, server: str, who: str, *args: str) -> str:
        out = self.run(server, who, *args)
        assert out.returncode == 0, f"trust --server {server} {' '.join(args)}: exit {out.returncode}\n{out.stderr}"
        return out.stdout

    def verify(self, server: str, who: str, image: str) -> str:
        """What ``trust verify`` prints for ``image``: its digest."""
        return self.ok(server, who, "verify", image).strip()

    def inspect(self, server: str, who: str, image: str) -> list:
        return json.loads(self.ok(server, who, "inspect", image))


@pytest.fixture
def cli(trust_cli: pathlib.Path, tmp_path: pathlib.Path) -> Cli:
    return Cli(trust_cli, tmp_path / "cli")


def new_image(peers) -> tuple:
    """A repository name no other test or run uses: ``(name without the registry, gun)``."""
    name = f"pytest-oci/{uuid.uuid4().hex[:16]}"
    return name, f"{peers.registry}/{name}"


def oci_client(server: str, tmp_path: pathlib.Path, who: str) -> trustkit.Client:
    return trustkit.Client(server=server, trust_dir=tmp_path / who)


def test_the_cli_signs_into_the_image_s_repository_and_trustkit_agrees(cli, peers, tmp_path, passphrases):
    name, gun = new_image(peers)
    digest, _ = push_image(peers.registry_url, name, "v1")
    push_image(peers.registry_url, name, "v2")  # pushed, never signed

    cli.ok("oci://", "admin", "sign", f"{gun}:v1")
    printed = cli.verify("oci://", "reader", f"{gun}:v1")
    assert printed == digest

    reader = oci_client("oci://", tmp_path, "py-reader")
    assert reader.server == "oci://"
    assert reader.verify(f"{gun}:v1") == printed
    assert reader.verify(f"{gun}:v1") == printed, "again, from the cache"
    assert reader.verify(f"{gun}:v1@{printed}") == printed
    assert oci_client("oci://", tmp_path, "py-reader-2").inspect(gun) == cli.inspect("oci://", "reader", gun)

    # an unsigned tag: NotSignedError here, exit 1 from the CLI
    with pytest.raises(trustkit.NotSignedError, match="v2"):
        reader.verify(f"{gun}:v2")
    assert cli.run("oci://", "reader", "verify", f"{gun}:v2").returncode == 1
    # a repository without trust data in the registry
    _, unsigned = new_image(peers)
    with pytest.raises(trustkit.NotSignedError, match="does not have trust data"):
        reader.verify(f"{unsigned}:v1")
    # the trust data is in the registry, not on the trust server
    notary = trustkit.Client(server=peers.server, ca=peers.ca, trust_dir=tmp_path / "notary-reader")
    with pytest.raises(trustkit.NotSignedError):
        notary.verify(f"{gun}:v1")


def test_trustkit_signs_and_revokes_in_the_registry_and_the_cli_agrees(cli, peers, tmp_path, passphrases):
    name, gun = new_image(peers)
    digest, _ = push_image(peers.registry_url, name, "v1")
    admin = oci_client("oci://", tmp_path, "py-admin")

    admin.sign(f"{gun}:v1")  # the digest and size the registry serves
    assert cli.verify("oci://", "reader", f"{gun}:v1") == digest
    assert oci_client("oci://", tmp_path, "py-reader").verify(f"{gun}:v1") == digest
    [info] = cli.inspect("oci://", "reader", gun)
    assert info["SignedTags"] == [{"SignedTag": "v1", "Digest": digest[len("sha256:") :], "Signers": ["Repo Admin"]}]

    admin.revoke(f"{gun}:v1")
    assert cli.run("oci://", "reader", "verify", f"{gun}:v1").returncode == 1
    with pytest.raises(trustkit.NotSignedError):
        oci_client("oci://", tmp_path, "py-reader").verify(f"{gun}:v1")


def test_signer_add_and_remove_in_the_registry(cli, peers, tmp_path, passphrases):
    _, gun = new_image(peers)
    admin = oci_client("oci://", tmp_path, "py-admin")

    admin.signer_add(gun, "alice", [ALICE])  # initialises the repository
    [info] = cli.inspect("oci://", "reader", gun)
    assert [s["Name"] for s in info["Signers"]] == ["alice"]
    assert oci_client("oci://", tmp_path, "py-reader").inspect(gun) == [info]

    admin.signer_remove(gun, "alice")
    assert cli.inspect("oci://", "reader", gun)[0]["Signers"] == []


def test_a_dedicated_trust_repository(cli, peers, tmp_path, passphrases):
    # One trust repository for many images, each under a tag of its own: parallel runs
    # share it safely.
    server = f"oci://{peers.registry}/trust-data"
    name, gun = new_image(peers)
    digest, _ = push_image(peers.registry_url, name, "v1")

    cli.ok(server, "admin", "sign", f"{gun}:v1")
    printed = cli.verify(server, "reader", f"{gun}:v1")
    assert printed == digest
    reader = oci_client(server, tmp_path, "py-reader")
    assert reader.server == server
    assert reader.verify(f"{gun}:v1") == printed
    assert reader.inspect(gun) == cli.inspect(server, "reader", gun)
    with pytest.raises(trustkit.NotSignedError):
        reader.verify(f"{gun}:v2")
    with pytest.raises(trustkit.NotSignedError, match="does not have trust data"):
        oci_client("oci://", tmp_path, "py-own-reader").verify(f"{gun}:v1")

    # a second image signed there by trustkit; the CLI verifies it
    name2, gun2 = new_image(peers)
    digest2, _ = push_image(peers.registry_url, name2, "v1")
    oci_client(server, tmp_path, "py-admin").sign(f"{gun2}:v1")
    assert cli.verify(server, "reader", f"{gun2}:v1") == digest2
    assert reader.verify(f"{gun}:v1") == printed, "the first image's trust data is untouched"
