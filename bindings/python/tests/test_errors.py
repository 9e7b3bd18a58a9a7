"""Failures users handle: the exception each one raises, and that nothing changes."""

from __future__ import annotations

import hashlib
import os
import pathlib

import pytest

import trustkit

UNRELATED_CA = pathlib.Path(__file__).parent / "data" / "unrelated-ca.crt"
DIGEST = "sha256:" + hashlib.sha256(b"trustkit").hexdigest()


def test_exception_hierarchy():
    for cls in (
        trustkit.NotSignedError,
        trustkit.VerificationError,
        trustkit.NetworkError,
        trustkit.KeyStoreError,
        trustkit.InvalidArgumentError,
        trustkit.LocalIOError,
    ):
        assert issubclass(cls, trustkit.TrustError)
        assert cls.__module__ == "trustkit"
    assert issubclass(trustkit.TrustError, Exception)
    assert issubclass(trustkit.InvalidArgumentError, ValueError)
    assert issubclass(trustkit.LocalIOError, OSError)
    assert not issubclass(trustkit.NotSignedError, (ValueError, OSError))


@pytest.mark.parametrize(
    "args",
    [
        ("sha256:1234", 10),
        ("sha256:" + "AB" * 32, 10),
        ("sha512:" + "ab" * 32, 10),
        (DIGEST, -1),
        (DIGEST, 2**64),
        (DIGEST, None),
        (None, 10),
    ],
)
def test_bad_manifest_arguments_are_value_errors(tmp_path, args):
    client = trustkit.Client(server="https://localhost:1", trust_dir=tmp_path)
    with pytest.raises(ValueError) as raised:
        client.sign("localhost:5000/pytest/args:v1", *args)
    assert isinstance(raised.value, trustkit.InvalidArgumentError)
    assert not (tmp_path / "tuf").exists(), "nothing staged"


@pytest.mark.parametrize("size", ["10", 10.0, True])
def test_size_must_be_an_int(tmp_path, size):
    client = trustkit.Client(server="https://localhost:1", trust_dir=tmp_path)
    with pytest.raises(TypeError):
        client.sign("localhost:5000/pytest/args:v1", DIGEST, size)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.sign("localhost:5000/pytest/args", DIGEST, 1),  # no tag
        lambda c: c.sign(f"localhost:5000/pytest/args@{DIGEST}", DIGEST, 1),
        lambda c: c.verify("localhost:5000/Upper/Case:v1"),
        lambda c: c.verify("not a reference"),
        lambda c: c.inspect("localhost:5000/pytest/args:bad tag"),
        lambda c: c.revoke("localhost:5000/pytest/args"),  # every tag needs all_tags=True
        lambda c: c.revoke(f"localhost:5000/pytest/args@{DIGEST}"),
        lambda c: trustkit.Client(server="ftp://localhost").verify("localhost:5000/pytest/args:v1"),
        lambda c: trustkit.Client(server="http://example.com").verify("localhost:5000/pytest/args:v1"),
    ],
)
def test_bad_references_are_value_errors(tmp_path, call):
    with pytest.raises(trustkit.InvalidArgumentError):
        call(trustkit.Client(server="https://localhost:1", trust_dir=tmp_path))


@pytest.mark.parametrize(
    "settings", [{"max_age": -1}, {"max_age": float("nan")}, {"timeout": 0}, {"timeout": float("inf")}]
)
def test_bad_durations_are_value_errors(settings):
    with pytest.raises(trustkit.InvalidArgumentError):
        trustkit.Client(**settings)


def test_arguments_must_be_str():
    client = trustkit.Client(server="https://localhost:1")
    with pytest.raises(TypeError):
        client.verify(b"localhost:5000/pytest/args:v1")
    with pytest.raises(TypeError):
        trustkit.Client("https://localhost:1")  # keywords only


def test_client_settings(tmp_path):
    client = trustkit.Client(server="https://localhost:1", trust_dir=str(tmp_path), ca=UNRELATED_CA)
    assert client.server == "https://localhost:1"
    assert client.trust_dir == tmp_path
    assert client.ca == UNRELATED_CA
    assert client.max_age == 0, "fresh by default: the server is asked every time"
    assert repr(client) == f"trustkit.Client(server='https://localhost:1', trust_dir='{tmp_path}', ca='{UNRELATED_CA}')"
    assert trustkit.Client(max_age=30).max_age == 30
    assert trustkit.Client().server is None


def test_wrong_ca_is_a_network_error(peers, trust_dir):
    image = f"{peers.repo('notary-plain')['image']}:v1"
    for ca in (UNRELATED_CA, None):  # None: the system's roots, which do not know the test CA
        client = trustkit.Client(server=peers.server, trust_dir=trust_dir, ca=ca)
        with pytest.raises(trustkit.NetworkError):
            client.verify(image)


def test_unreachable_server_is_a_network_error(peers, trust_dir):
    client = trustkit.Client(server="https://127.0.0.1:9", trust_dir=trust_dir, ca=peers.ca)
    with pytest.raises(trustkit.NetworkError):
        client.verify(f"{peers.registry}/pytest/unreachable:v1")


def test_missing_ca_file_is_an_os_error(peers, trust_dir, tmp_path):
    client = trustkit.Client(server=peers.server, trust_dir=trust_dir, ca=tmp_path / "no-such-ca.crt")
    with pytest.raises(OSError) as raised:
        client.verify(f"{peers.repo('notary-plain')['image']}:v1")
    assert isinstance(raised.value, trustkit.LocalIOError)
    assert "no-such-ca.crt" in str(raised.value)


def test_wrong_passphrase_is_a_keystore_error_and_changes_nothing(
    client, reader, gun, peers, passphrases, monkeypatch
):
    client.sign(f"{gun}:v1", DIGEST, 100)
    wrong = "not-the-passphrase-" + os.urandom(4).hex()
    for name in ("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"):
        monkeypatch.setenv(name, wrong)

    other = "sha256:" + hashlib.sha256(b"other").hexdigest()
    with pytest.raises(trustkit.KeyStoreError) as raised:
        client.sign(f"{gun}:v2", other, 200)
    with pytest.raises(trustkit.KeyStoreError):
        client.sign(f"{gun}:v1", other, 200)
    with pytest.raises(trustkit.KeyStoreError):
        client.revoke(f"{gun}:v1")
    assert wrong not in str(raised.value) and peers.passphrase not in str(raised.value)
    assert "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE" in str(raised.value)

    # the server has exactly what it had
    assert reader.verify(f"{gun}:v1") == DIGEST
    with pytest.raises(trustkit.NotSignedError):
        reader.verify(f"{gun}:v2")
    assert [row["SignedTag"] for row in reader.inspect(gun)[0]["SignedTags"]] == ["v1"]


@pytest.fixture
def stdin_not_a_terminal():
    """Without a passphrase variable, trust-core prompts when fd 0 is a terminal."""
    saved = os.dup(0)
    with open(os.devnull, "rb") as devnull:
        os.dup2(devnull.fileno(), 0)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        os.close(saved)


def test_no_passphrase_is_a_keystore_error(client, gun, peers, stdin_not_a_terminal):
    # no passphrase variable and no terminal: no prompt, an error that names the variable
    with pytest.raises(trustkit.KeyStoreError, match="DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE") as raised:
        client.sign(f"{gun}:v1", DIGEST, 100)
    # a library user may have no terminal to run in: the message names only what to set
    assert "terminal" not in str(raised.value)
    with pytest.raises(trustkit.NotSignedError):
        client.verify(f"{gun}:v1")
