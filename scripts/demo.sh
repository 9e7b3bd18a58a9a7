#!/usr/bin/env bash
# The main job with no server: generate a signer key, add the signer to a new
# repository, sign an image digest, then inspect and verify it, all against a
# directory that stands in for a notary-server (the file remote), or with
# DEMO_SERVER=oci://HOST[:PORT]/PATH in a repository of a registry you can push to
# (the registry store: no trust server at all; docs/registry-store.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet -p trust-cli
work=$(mktemp -d "${TMPDIR:-/tmp}/trust-demo.XXXXXX")
# Throwaway passphrases for this demo's keys (set your own for real keys).
export DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=${DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE:-demo-root-passphrase}
export DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=${DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE:-demo-repository-passphrase}
server=${DEMO_SERVER:-file://$work/remote}
trust=(target/release/trust --server "$server" --trust-dir "$work/trust")
repo=${DEMO_REPOSITORY:-registry.example.com/demo/app-$(date +%s)}
digest=sha256:$(printf 'an image manifest' | sha256sum | cut -d' ' -f1)

run() {
	printf '\n$ trust %s\n' "$*"
	"${trust[@]}" "$@"
}

run key generate alice --dir "$work"
run signer add --key "$work/alice.pub" alice "$repo"
run sign --digest "$digest" --size 17 "$repo:v1"
run inspect --pretty "$repo"
run verify "$repo:v1"
run verify --output json "$repo:v1"
printf '\n$ trust verify %s:v2   (never signed: refused)\n' "$repo"
if "${trust[@]}" verify "$repo:v2"; then
	echo "an unsigned tag verified: this is a bug" >&2
	exit 1
else
	echo "exit code $? (1: not signed)"
fi
printf '\nkeys and cache are in %s; the trust data is at %s\n' "$work" "$server"
