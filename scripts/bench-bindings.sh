#!/usr/bin/env bash
# What the C binding saves: trust_verify called in one process (warm cache, one
# handle) against `trust verify` as a process per check, on the same file-remote
# repository signed by the demo's steps. Prints both figures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release --quiet -p trust-cli -p trust-c
work=$(mktemp -d "${TMPDIR:-/tmp}/trust-bench-bindings.XXXXXX")
trap 'rm -rf "$work"' EXIT
export DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=bench-root-passphrase
export DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=bench-repository-passphrase
server="file://$work/remote"
trust=(target/release/trust --server "$server" --trust-dir "$work/trust")
image=registry.example.com/bench/app:v1
"${trust[@]}" sign --digest "sha256:$(printf bench | sha256sum | cut -d' ' -f1)" --size 5 "$image" >/dev/null
gcc -O2 -Wall -Werror -o "$work/verify_loop" bindings/c/bench/verify_loop.c -Ibindings/c/include \
	target/release/libtrust.a -lpthread -ldl -lm
"$work/verify_loop" "$server" "$work/trust" "$image" 2000
hyperfine -N --warmup 20 --runs 300 --export-json "$work/cli.json" \
	"target/release/trust --server $server --trust-dir $work/trust verify $image" >/dev/null 2>&1
jq -r '.results[0] | "trust verify as a process: \(.mean * 1000 | . * 1000 | round / 1000) ms per check"' "$work/cli.json"
