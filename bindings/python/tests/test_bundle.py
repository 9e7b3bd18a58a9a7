"""``Client(bundle=..., frozen=...)``: verifying from a trust-data bundle built from
the real-tool fixture ``docker-signers``, with no trust server; frozen, so that the
fixture's 14-day timestamp is checked as of its capture."""

from __future__ import annotations

import json
import pathlib

import pytest

import trustkit

import bundles

CASE = "docker-signers"
V1 = "sha256:8d7c2d1d57f574f54312eea4e080dd773a4ebacabfa90cfcc94c76836b5cc33e"


@pytest.fixture
def bundle(tmp_path: pathlib.Path) -> pathlib.Path:
    return bundles.build(CASE, tmp_path / "bundle")


def test_verify_and_inspect_from_a_bundle(bundle: pathlib.Path) -> None:
    client = trustkit.Client(bundle=bundle, frozen=True)
    assert client.bundle == bundle and client.frozen
    image = bundles.case(CASE)["image"]
    assert client.verify(f"{image}:v1") == V1
    want = json.loads((bundles.FIXTURES / CASE / "docker-inspect.json").read_text())
    assert client.inspect(image) == want
    with pytest.raises(trustkit.NotSignedError):
        client.verify("localhost:5000/not/in-bundle:v1")
    with pytest.raises(trustkit.InvalidArgumentError, match="bundle"):
        client.sign(f"{image}:v9", digest=V1, size=1)


def test_a_tampered_bundle_fails_verification(bundle: pathlib.Path) -> None:
    gun = bundles.case(CASE)["gun"]
    path = bundle / "v2" / gun / "_trust" / "tuf" / "targets" / "releases.json"
    data = bytearray(path.read_bytes())
    data[-2] ^= 1
    path.write_bytes(bytes(data))
    client = trustkit.Client(bundle=bundle, frozen=True)
    with pytest.raises(trustkit.VerificationError, match="targets/releases.json"):
        client.verify(f"{gun}:v1")


def test_bad_bundle_arguments_raise_at_once(tmp_path: pathlib.Path, bundle: pathlib.Path) -> None:
    with pytest.raises(trustkit.LocalIOError):
        trustkit.Client(bundle=tmp_path / "missing")
    (bundle / "manifest.json").unlink()
    with pytest.raises(trustkit.InvalidArgumentError, match="no manifest.json"):
        trustkit.Client(bundle=bundle)
    with pytest.raises(trustkit.InvalidArgumentError, match="not both"):
        trustkit.Client(bundle=bundle, server="https://localhost:4443")
    with pytest.raises(trustkit.InvalidArgumentError, match="needs a bundle"):
        trustkit.Client(frozen=True)
