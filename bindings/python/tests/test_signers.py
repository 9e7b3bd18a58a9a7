"""Adding and removing signers against the real notary-server."""

from __future__ import annotations

import pytest

import trustkit

# A signer's public key (ECDSA P-256, made for these tests with openssl).
ALICE = """-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEutxtCKYFOjypE1TcZHjLxc+CfPHg
HSZ+PgXxEcDo9i8CDwCj57TVTy/6DSYzNkFJfSN91WHR9wxb6n3U2ZfpMA==
-----END PUBLIC KEY-----
"""


def signer_names(client: trustkit.Client, gun: str) -> list:
    return [s["Name"] for s in client.inspect(gun)[0]["Signers"]]


def test_signer_add_then_remove(client, reader, gun, passphrases):
    client.signer_add(gun, "alice", [ALICE])
    assert signer_names(reader, gun) == ["alice"]
    [alice] = reader.inspect(gun)[0]["Signers"]
    assert len(alice["Keys"]) == 1

    with pytest.raises(trustkit.NotSignedError, match="no signer bob"):
        client.signer_remove(gun, "bob")
    client.signer_remove(gun, "alice")
    assert signer_names(reader, gun) == []


@pytest.mark.parametrize("name", ["Alice", "-a", "releases", ""])
def test_bad_signer_names_are_value_errors(tmp_path, name):
    client = trustkit.Client(server="https://localhost:1", trust_dir=tmp_path)
    with pytest.raises(trustkit.InvalidArgumentError):
        client.signer_add("localhost:5000/pytest/signers", name, [ALICE])
    assert not (tmp_path / "tuf").exists(), "nothing staged"


def test_signer_keys_must_parse(tmp_path):
    client = trustkit.Client(server="https://localhost:1", trust_dir=tmp_path)
    with pytest.raises(trustkit.KeyStoreError):
        client.signer_add("localhost:5000/pytest/signers", "alice", ["not a key"])
    with pytest.raises(trustkit.InvalidArgumentError):
        client.signer_add("localhost:5000/pytest/signers", "alice", [])
    with pytest.raises(TypeError):
        client.signer_add("localhost:5000/pytest/signers", "alice", ALICE)  # type: ignore[arg-type]
    with pytest.raises(trustkit.InvalidArgumentError, match="reserved"):
        client.signer_remove("localhost:5000/pytest/signers", "releases")
