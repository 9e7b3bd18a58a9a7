#!/usr/bin/env bash
# The main job with no server: sign an image repository into a directory that
# stands in for a notary-server (the file remote), then inspect and verify it
# with `trust` exactly as against a server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet -p trust-cli -p trust-core --example make_repo
work=$(mktemp -d "${TMPDIR:-/tmp}/trust-demo.XXXXXX")
trust=(target/release/trust --server "file://$work/remote" --trust-dir "$work/trust")

echo "# signing 3 tags of registry.example.com/demo/app as signer alice into $work/remote"
gun=$(target/release/examples/make_repo 3 "$work/remote" registry.example.com/demo/app alice)

echo "# trust inspect --pretty $gun"
"${trust[@]}" inspect --pretty "$gun"
echo
echo "# trust verify $gun:tag-1"
"${trust[@]}" verify "$gun:tag-1"
echo "# trust verify --output json $gun:tag-2"
"${trust[@]}" verify --output json "$gun:tag-2"
echo "# trust verify $gun:unsigned (must fail)"
if "${trust[@]}" verify "$gun:unsigned"; then
	echo "unsigned tag verified: this is a bug" >&2
	exit 1
else
	echo "exit code $? (1: not signed)"
fi
echo "# trust data and cache left in $work"
