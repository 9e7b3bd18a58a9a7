"""The key API (Client.key_generate, key_load, keys) and the package's surface."""

from __future__ import annotations

import subprocess

import pytest

import trustkit

PASSPHRASE = "pytest-key-passphrase"


def test_dir_shows_only_the_api():
    assert sorted(dir(trustkit)) == sorted(trustkit.__all__)
    assert "annotations" not in dir(trustkit)
    assert not [name for name in dir(trustkit) if name.startswith("_") and name != "__version__"]


def test_generate_then_list(tmp_path):
    client = trustkit.Client(server="https://localhost:1", trust_dir=tmp_path / "trust")
    assert client.keys() == []
    key_id, public_pem = client.key_generate("alice", passphrase=PASSPHRASE)
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert client.keys() == [{"id": key_id, "role": "alice", "gun": None}]
    key_file = tmp_path / "trust" / "private" / f"{key_id}.key"
    text = key_file.read_text()
    assert "ENCRYPTED PRIVATE KEY" in text and PASSPHRASE not in text
    assert key_file.stat().st_mode & 0o077 == 0

    ed_id, _ = client.key_generate("bob", passphrase=PASSPHRASE, algorithm="ed25519")
    assert sorted(k["id"] for k in client.keys()) == sorted([key_id, ed_id])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"passphrase": "x7q!"}, trustkit.KeyStoreError),
        ({"passphrase": PASSPHRASE, "algorithm": "rsa"}, trustkit.InvalidArgumentError),
    ],
)
def test_generate_refusals_keep_nothing(tmp_path, kwargs, error):
    client = trustkit.Client(server="https://localhost:1", trust_dir=tmp_path / "trust")
    with pytest.raises(error) as raised:
        client.key_generate("alice", **kwargs)
    assert kwargs["passphrase"] not in str(raised.value)
    assert client.keys() == []
    with pytest.raises(trustkit.InvalidArgumentError):
        client.key_generate("Not A Name", passphrase=PASSPHRASE)


def _encrypted_pem(tmp_path, passphrase):
    """An encrypted PKCS#8 EC key written by openssl."""
    plain = tmp_path / "plain.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(plain)], check=True)
    out = subprocess.run(
        ["openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", str(plain), "-passout", f"pass:{passphrase}"],
        check=True,
        capture_output=True,
    )
    return out.stdout


def test_load_an_encrypted_pem(tmp_path):
    client = trustkit.Client(server="https://localhost:1", trust_dir=tmp_path / "trust")
    pem = _encrypted_pem(tmp_path, PASSPHRASE)

    with pytest.raises(trustkit.KeyStoreError) as raised:
        client.key_load(pem, passphrase="wrong-passphrase")
    assert "wrong-passphrase" not in str(raised.value)
    assert client.keys() == []

    key_id = client.key_load(pem.decode(), passphrase=PASSPHRASE, name="carol", new_passphrase="another-passphrase")
    assert client.keys() == [{"id": key_id, "role": "carol", "gun": None}]
    stored = (tmp_path / "trust" / "private" / f"{key_id}.key").read_text()
    assert "another-passphrase" not in stored and "ENCRYPTED PRIVATE KEY" in stored

    _, public_pem = client.key_generate("dave", passphrase=PASSPHRASE)
    with pytest.raises(trustkit.KeyStoreError, match="public key"):
        client.key_load(public_pem, passphrase=PASSPHRASE)


def test_missing_ca_fails_from_a_warm_cache(client, peers, trust_dir, passphrases, gun):
    digest = "sha256:" + "ab" * 32
    client.sign(f"{gun}:v1", digest, 10)
    assert client.verify(f"{gun}:v1") == digest  # the cache is warm
    warm = trustkit.Client(server=peers.server, trust_dir=trust_dir, ca="/nonexistent.crt", max_age=3600)
    with pytest.raises(trustkit.LocalIOError, match="/nonexistent.crt"):
        warm.verify(f"{gun}:v1")
