"""Repositories made by the real docker and notary CLIs (tests/peers/make-repos.sh):
trustkit must verify and inspect them as docker does."""

from __future__ import annotations

import collections
import itertools

import pytest

import trustkit

CASES = ("notary-plain", "docker-signers", "empty", "rotated")


def released(repo):
    """Tags with exactly one released digest, as sha256:<hex> (docker-signers' "old"
    has two rows and resolves by role, so it is checked on its own)."""
    counts = collections.Counter(row["tag"] for row in repo["tags"])
    return {row["tag"]: "sha256:" + row["sha256"] for row in repo["tags"] if counts[row["tag"]] == 1}


@pytest.mark.parametrize("case", CASES)
def test_verify_equals_the_recorded_digests(client, peers, case):
    repo = peers.repo(case)
    for tag, digest in released(repo).items():
        assert client.verify(f"{repo['image']}:{tag}") == digest, tag


def test_verify_docker_signers(client, peers):
    repo = peers.repo("docker-signers")
    tags = released(repo)
    assert set(tags) >= {"v1", "v2", "v10"}
    assert client.verify(f"{repo['image']}:v2") == tags["v2"]
    # a tag in targets and targets/releases resolves to the releases digest, as docker pull
    [old] = [t for t in repo["targets"] if t["tag"] == "old" and t["role"] == "targets/releases"]
    assert client.verify(f"{repo['image']}:old") == "sha256:" + old["sha256"]


def rows_of_a_tag_in_one_order(inspect):
    """docker trust inspect's output with the rows that share a SignedTag sorted by
    digest. docker sorts rows by tag only, from a Go map, so the order of rows with
    the same tag (docker-signers' "old") changes from run to run; the order of the
    tags themselves is kept and still compared."""
    out = []
    for repo in inspect:
        rows = repo["SignedTags"]
        runs = itertools.groupby(rows, key=lambda row: row["SignedTag"])
        ordered = [row for _, run in runs for row in sorted(run, key=lambda row: row["Digest"])]
        out.append({**repo, "SignedTags": ordered})
    return out


@pytest.mark.parametrize("case", CASES)
def test_inspect_equals_docker_trust_inspect(client, peers, case):
    repo = peers.repo(case)
    assert repo["docker"]["inspect_exit_code"] == 0
    ours = client.inspect(repo["image"])
    assert rows_of_a_tag_in_one_order(ours) == rows_of_a_tag_in_one_order(repo["docker"]["inspect"])


def test_missing_repository_is_not_signed(client, peers):
    repo = peers.repo("missing")
    assert not repo["exists"]
    with pytest.raises(trustkit.NotSignedError, match="does not have trust data"):
        client.verify(f"{repo['image']}:v1")
    with pytest.raises(trustkit.NotSignedError):
        client.inspect(repo["image"])


def test_unsigned_tag_is_not_signed(client, peers):
    with pytest.raises(trustkit.NotSignedError):
        client.verify(f"{peers.repo('notary-plain')['image']}:never-signed")
    with pytest.raises(trustkit.NotSignedError):
        client.verify(f"{peers.repo('empty')['image']}:latest")


def test_digest_not_signed_for_the_tag(client, peers):
    repo = peers.repo("notary-plain")
    tags = released(repo)
    with pytest.raises(trustkit.VerificationError):
        client.verify(f"{repo['image']}:v1@{tags['v2']}")
    # a bare digest resolves to a signed tag that has it
    assert client.verify(f"{repo['image']}@{tags['v1']}") == tags["v1"]
