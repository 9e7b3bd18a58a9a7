#!/usr/bin/env bash
# What the FIPS build costs: the same work on ring (default build) and on aws-lc-rs
# with AWS-LC FIPS 3.0 (`--features fips`), release builds, same machine.
#
#   scripts/bench-fips.sh
#
# 1. criterion's `verify` bench of trust-core (canonical JSON, verifying a targets
#    file of 1, 100 and 1000 entries, ECDSA P-256) in each build;
# 2. `trust verify` as a whole process on one file-remote repository (hyperfine),
#    with each binary, FIPS mode off and on.
# Needs cmake and Go for the FIPS build, and hyperfine and jq.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for tool in hyperfine jq cmake go; do
	command -v "$tool" >/dev/null || {
		echo "needs $tool (apt-get install hyperfine jq cmake golang-go)" >&2
		exit 2
	}
done

target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d "${TMPDIR:-/tmp}/trust-bench-fips.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Each build's binary is copied out: both builds write target/release/trust.
cargo build --release --quiet -p trust-cli
cp "$target/release/trust" "$work/trust-ring"
cargo build --release --quiet -p trust-cli --no-default-features --features fips
cp "$target/release/trust" "$work/trust-fips"

echo "== criterion: trust-core verify bench, ring"
cargo bench --quiet -p trust-core --bench verify -- --noplot 2>/dev/null | grep -E '^[a-z].*|time:' || true
echo "== criterion: trust-core verify bench, aws-lc-rs (AWS-LC FIPS 3.0)"
cargo bench --quiet -p trust-core --bench verify --no-default-features --features fips -- --noplot 2>/dev/null |
	grep -E '^[a-z].*|time:' || true

export DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=bench-root-passphrase
export DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=bench-repository-passphrase
server="file://$work/remote"
image=registry.example.com/bench/app:v1
# Signed in FIPS mode, so that its server keys are ECDSA and FIPS mode verifies it too.
"$work/trust-ring" --fips --server "$server" --trust-dir "$work/sign" sign \
	--digest "sha256:$(printf bench | sha256sum | cut -d' ' -f1)" --size 5 "$image" >/dev/null

echo "== whole process: trust verify (warm cache), mean of 300 runs"
for build in ring fips; do
	for mode in 0 1; do
		dir=$work/verify-$build-$mode
		TRUST_FIPS=$mode "$work/trust-$build" --server "$server" --trust-dir "$dir" verify "$image" >/dev/null
		hyperfine -N --warmup 20 --runs 300 --export-json "$work/$build-$mode.json" \
			"env TRUST_FIPS=$mode $work/trust-$build --server $server --trust-dir $dir verify $image" >/dev/null 2>&1
		jq -r --arg b "$build" --arg m "$mode" \
			'.results[0] | "\($b) build, TRUST_FIPS=\($m): \(.mean * 1000000 | round / 1000) ms"' "$work/$build-$mode.json"
	done
done
