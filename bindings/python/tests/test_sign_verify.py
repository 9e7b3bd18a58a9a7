"""Signing, verifying, inspecting and revoking against the real notary-server."""

from __future__ import annotations

import hashlib

import pytest

import trustkit
from registry import push_image


def fake_digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def test_sign_verify_inspect_revoke(client, reader, gun, passphrases):
    digest = fake_digest(gun)
    image = f"{gun}:v1"

    assert client.sign(image, digest, 1234) is None

    assert client.verify(image) == digest
    assert reader.verify(image) == digest, "a client with an empty trust dir sees what was published"
    assert reader.verify(f"{image}@{digest}") == digest

    [info] = reader.inspect(image)
    assert info["Name"] == image
    assert info["SignedTags"] == [{"SignedTag": "v1", "Digest": digest[len("sha256:") :], "Signers": ["Repo Admin"]}]
    assert info["Signers"] == []
    assert [k["Name"] for k in info["AdministrativeKeys"]] == ["Root", "Repository"]
    for role in info["AdministrativeKeys"]:
        [key] = role["Keys"]
        assert len(key["ID"]) == 64 and set(key["ID"]) <= set("0123456789abcdef")

    client.revoke(image)
    with pytest.raises(trustkit.NotSignedError):
        reader.verify(image)
    with pytest.raises(trustkit.NotSignedError):
        client.verify(image)
    assert reader.inspect(gun)[0]["SignedTags"] == []


def test_sign_without_digest_signs_the_registry_manifest(client, reader, gun, peers, passphrases):
    name = gun.split("/", 1)[1]
    digest, size = push_image(peers.registry_url, name, "v1")

    client.sign(f"{gun}:v1")

    assert reader.verify(f"{gun}:v1") == digest
    [row] = reader.inspect(f"{gun}:v1")[0]["SignedTags"]
    assert row["Digest"] == digest[len("sha256:") :]
    # the size signed is the registry's: the same digest with another size is a different target
    client.sign(f"{gun}:v2", digest, size)
    assert {r["SignedTag"]: r["Digest"] for r in reader.inspect(gun)[0]["SignedTags"]} == {
        "v1": digest[len("sha256:") :],
        "v2": digest[len("sha256:") :],
    }


def test_sign_without_digest_of_a_tag_the_registry_lacks(client, reader, gun, passphrases):
    with pytest.raises(trustkit.NetworkError, match="not found"):
        client.sign(f"{gun}:absent")
    with pytest.raises(trustkit.NotSignedError):
        reader.verify(f"{gun}:absent")


def test_inspect_of_a_repository_lists_every_tag(client, reader, gun, passphrases):
    digests = {tag: fake_digest(f"{gun}:{tag}") for tag in ("v10", "v2", "latest")}
    for tag, digest in digests.items():
        client.sign(f"{gun}:{tag}", digest, 527)

    [info] = reader.inspect(gun)
    assert info["Name"] == gun
    # docker's order: natural tag order
    assert [row["SignedTag"] for row in info["SignedTags"]] == ["latest", "v2", "v10"]
    assert {row["SignedTag"]: "sha256:" + row["Digest"] for row in info["SignedTags"]} == digests
    assert reader.verify(gun) == digests["latest"], "no tag means latest, as docker pull"


def test_revoke_every_tag_needs_all_tags(client, reader, gun, passphrases):
    for tag in ("a", "b"):
        client.sign(f"{gun}:{tag}", fake_digest(tag), 10)

    with pytest.raises(trustkit.InvalidArgumentError):
        client.revoke(gun)
    with pytest.raises(trustkit.InvalidArgumentError):
        client.revoke(f"{gun}:a", all_tags=True)
    assert reader.verify(f"{gun}:a") == fake_digest("a")

    client.revoke(gun, all_tags=True)
    for tag in ("a", "b"):
        with pytest.raises(trustkit.NotSignedError):
            reader.verify(f"{gun}:{tag}")


def test_resigning_a_tag_moves_it(client, reader, gun, passphrases):
    client.sign(f"{gun}:v1", fake_digest("first"), 1)
    client.sign(f"{gun}:v1", fake_digest("second"), 2)
    assert reader.verify(f"{gun}:v1") == fake_digest("second")
    with pytest.raises(trustkit.VerificationError):
        reader.verify(f"{gun}:v1@{fake_digest('first')}")

