#!/usr/bin/env bash
# Copies what the running notary-server serves for GUN into the "file remote"
# layout, which mirrors the server's URL paths:
#   OUTDIR/v2/<gun>/_trust/tuf/{root,timestamp,snapshot,targets}.json
#   OUTDIR/v2/<gun>/_trust/tuf/targets/<name>.json   (every delegation in snapshot)
#   OUTDIR/v2/<gun>/_trust/tuf/<N>.root.json          (every root version, N = 1..)
# Snapshot, targets and delegations are fetched by the sha256 their parent
# lists, so the set is consistent with the timestamp fetched first.
# Usage: tests/peers/capture.sh STATE_DIR GUN OUTDIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 3 ]] || peers_die "usage: $0 STATE_DIR GUN OUTDIR"
peers_source_env "$1"
GUN=$2
TUF=$3/v2/$GUN/_trust/tuf
BASE=$TRUST_TEST_SERVER/v2/$GUN/_trust/tuf

# get NAME FILE: GET BASE/NAME into FILE; returns 1 on 404, dies otherwise.
get() {
	local code
	mkdir -p "$(dirname "$2")"
	code=$(curl -sS --cacert "$TRUST_TEST_CA" -o "$2" -w '%{http_code}' "$BASE/$1")
	case $code in
	200) return 0 ;;
	404) rm -f "$2" && return 1 ;;
	*) peers_die "GET $BASE/$1: HTTP $code: $(cat "$2")" ;;
	esac
}

# hex_sha256 ROLE META_FILE: the hex sha256 META_FILE lists for ROLE.
hex_sha256() {
	jq -r --arg r "$1" '.signed.meta[$r].hashes.sha256' "$2" | base64 -d | od -An -tx1 | tr -d ' \n'
}

# get_by_hash ROLE META_FILE: fetches ROLE by the hash META_FILE lists, saves
# it as ROLE.json.
get_by_hash() {
	get "$1.$(hex_sha256 "$1" "$2").json" "$TUF/$1.json" ||
		peers_die "$GUN: $1 listed in $(basename "$2") but not served"
}

capture() {
	local role n=1
	rm -rf "$TUF"
	get timestamp.json "$TUF/timestamp.json" || peers_die "$GUN: no trust data on the server"
	get root.json "$TUF/root.json"
	get_by_hash snapshot "$TUF/timestamp.json"
	for role in $(jq -r '.signed.meta | keys[] | select(. != "root")' "$TUF/snapshot.json"); do
		get_by_hash "$role" "$TUF/snapshot.json"
	done
	while get "$n.root.json" "$TUF/$n.root.json"; do n=$((n + 1)); done
	cmp -s "$TUF/root.json" "$TUF/$((n - 1)).root.json" ||
		peers_die "$GUN: root.json is not the newest N.root.json"
}

capture
peers_log "captured $GUN into $TUF"
