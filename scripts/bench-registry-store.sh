#!/usr/bin/env bash
# Times `trust` against the registry store (--server oci://, docs/registry-store.md)
# and against notary-server on the same repository, N tags (signed with
# `notary addhash` into targets on notary-server, one publish, then `trust copy`
# into a dedicated trust repository of the loopback registry):
#   trust verify IMAGE:TAG, cold (empty trust dir) and warm (cache filled)
#   trust sign of N tags in one command into a new repository (digests from the
#   registry, one manifest pushed under every tag, as scripts/bench-sign.sh does)
# and counts each command's round trips from the peers' own logs (docker-registry's
# "response completed" lines, notary-server's request lines, for this repository
# and trust's user agent only).
# Usage: scripts/bench-registry-store.sh STATE_DIR [N]     (default N=1000)
#   STATE_DIR: peers started with tests/peers/start.sh STATE_DIR
#   TRUST_BIN: the trust binary (default target/release/trust; build it with
#              cargo build --release). HYPERFINE_ARGS: hyperfine flags for verify
#              (default "--warmup 3 --min-runs 20"); SIGN_RUNS: runs of each sign
#              (default 3).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/tests/peers/lib.sh"

# --reset-sign STATE_DIR N: hyperfine's --prepare for the sign benchmark (below).
RESET=
if [[ ${1:-} == --reset-sign ]]; then
	RESET=1
	shift
fi
[[ $# -ge 1 && $# -le 2 ]] || peers_die "usage: $0 STATE_DIR [N]"
STATE_ARG=$1
peers_source_env "$1"
N=${2:-1000}
TRUST_BIN=${TRUST_BIN:-$ROOT/target/release/trust}
GUN=$TRUST_TEST_REGISTRY/bench/store-$N
WORK=$TRUST_TEST_STATE/bench-store-$N
TAG=tag$((N / 2 + 1))
REGISTRY_LOG=$TRUST_TEST_STATE/registry.log
NOTARY_LOG=$TRUST_TEST_STATE/notary-server.log
# The dedicated trust repositories: the copy of GUN, and the one signed into.
STORE_REPO_FILE=$WORK/store-repo
SIGN_GUN=$TRUST_TEST_REGISTRY/bench/store-sign-$N
SIGN_STORE=bench/store-sign-$N-trust
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
DOCKER_MANIFEST=application/vnd.docker.distribution.manifest.v2+json

# Every key's passphrase, for trust (docker's and notary's variables) and notary.
for name in DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE \
	NOTARY_ROOT_PASSPHRASE NOTARY_TARGETS_PASSPHRASE NOTARY_SNAPSHOT_PASSPHRASE \
	NOTARY_DELEGATION_PASSPHRASE TRUST_SERVER_PASSPHRASE; do
	export "$name=$TRUST_TEST_PASSPHRASE"
done
unset DOCKER_CONTENT_TRUST_SERVER TRUST_MAX_AGE TRUST_OFFLINE_OK TRUST_PINNING
# An empty DOCKER_CONFIG trusting the test CA: no credentials from elsewhere.
export DOCKER_CONFIG=$WORK/docker-config

tag_digest() { fixed_sha256 "bench/$1"; }

# trust_at SERVER DIR ARGS...: trust against SERVER with trust dir DIR.
trust_at() {
	local server=$1 dir=$2
	shift 2
	"$TRUST_BIN" --server "$server" --trust-dir "$dir" --tlscacert "$TRUST_TEST_CA" "$@"
}

# cmdline ARGS...: ARGS quoted into one string for hyperfine.
cmdline() { printf '%q ' "$@"; }

# delete_tag REPO TAG: removes REPO:TAG from the registry (its manifest), if there.
delete_tag() {
	local digest
	digest=$(curl -fsS -I -H "Accept: $OCI_MANIFEST" "$TRUST_TEST_REGISTRY_URL/v2/$1/manifests/$2" 2>/dev/null |
		awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }' | tr -d '\r') || true
	[[ -z $digest ]] || curl -fsS -o /dev/null -X DELETE "$TRUST_TEST_REGISTRY_URL/v2/$1/manifests/$digest"
}

# push_sign_tags: one small image manifest (an empty tar layer) under tag1..tagN of
# SIGN_GUN's repository, as scripts/bench-sign.sh does: what `trust sign` asks for.
push_sign_tags() {
	local repo=${SIGN_GUN#"$TRUST_TEST_REGISTRY"/} i urls=() manifest=$WORK/sign-manifest
	local registry=$TRUST_TEST_REGISTRY_URL/v2/$repo
	head -c 1024 /dev/zero >"$WORK/sign-layer"
	printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$(sha256sum "$WORK/sign-layer" | cut -d' ' -f1)" >"$WORK/sign-config"
	push_blob "$registry" "$WORK/sign-layer"
	push_blob "$registry" "$WORK/sign-config"
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar","size":1024,"digest":"sha256:%s"}]}' \
		"$DOCKER_MANIFEST" "$(stat -c %s "$WORK/sign-config")" "$(sha256sum "$WORK/sign-config" | cut -d' ' -f1)" \
		"$(sha256sum "$WORK/sign-layer" | cut -d' ' -f1)" >"$manifest"
	for ((i = 1; i <= N; i++)); do urls+=("$registry/manifests/tag$i"); done
	curl -fsS --no-progress-meter --parallel --parallel-max 16 -X PUT -H "Content-Type: $DOCKER_MANIFEST" \
		--data-binary "@$manifest" "${urls[@]}" >/dev/null
}

# push_blob REGISTRY_REPO_URL FILE: a monolithic upload (POST for a location, PUT the bytes).
push_blob() {
	local location sep
	location=$(curl -fsS -X POST -o /dev/null -D - "$1/blobs/uploads/" | tr -d '\r' |
		awk -F': ' 'tolower($1) == "location" {print $2}')
	[[ -n $location ]] || peers_die "no upload location from $1/blobs/uploads/"
	sep='?'
	[[ $location == *'?'* ]] && sep='&'
	curl -fsS -X PUT -o /dev/null -H 'Content-Type: application/octet-stream' \
		--data-binary "@$2" "$location${sep}digest=sha256:$(sha256sum "$2" | cut -d' ' -f1)"
}

# store_tag GUN: the registry store's tag for GUN in a dedicated trust repository.
store_tag() { printf 'tuf-notary-v1-%s' "$(fixed_sha256 "$1" | cut -c1-32)"; }

# reset_sign: a new repository for the next sign run, on both stores (hyperfine's
# --prepare): nothing on notary-server, no tag in the trust repository, empty trust dirs.
reset_sign() {
	rm -rf "$WORK/sign-oci" "$WORK/sign-notary" "$WORK/deleter-sign"
	notary_cmd "$WORK/deleter-sign" delete --remote "$SIGN_GUN" >/dev/null
	delete_tag "$SIGN_STORE" "$(store_tag "$SIGN_GUN")"
}

# make_repo: a fresh GUN with N tags in targets on notary-server, published once,
# then copied into a new dedicated trust repository.
make_repo() {
	local i author=$WORK/author store_repo
	rm -rf "$WORK"
	mkdir -p "$WORK"
	peers_docker_config "$DOCKER_CONFIG" >/dev/null
	notary_cmd "$WORK/deleter" delete --remote "$GUN" >/dev/null
	notary_cmd "$author" init "$GUN" >/dev/null
	peers_log "staging $N tags for $GUN"
	for ((i = 1; i <= N; i++)); do
		notary_cmd "$author" addhash "$GUN" "tag$i" "$((1000 + i))" \
			--sha256 "$(tag_digest "tag$i")" >/dev/null
	done
	notary_cmd "$author" publish "$GUN" >/dev/null
	store_repo=bench/store-$N-trust-$(date +%s)
	echo "$store_repo" >"$STORE_REPO_FILE"
	peers_log "trust copy $GUN into oci://$TRUST_TEST_REGISTRY/$store_repo"
	trust_at "$TRUST_TEST_SERVER" "$author" copy "$GUN" --from "$TRUST_TEST_SERVER" \
		--to "oci://$TRUST_TEST_REGISTRY/$store_repo" >"$WORK/copy.out"
}

# check_outputs: one verify from each store, which must print the signed digest,
# and both inspects must print the same.
check_outputs() {
	local want got server
	want="sha256:$(tag_digest "$TAG")"
	for server in "$OCI" "$TRUST_TEST_SERVER"; do
		got=$(trust_at "$server" "$WORK/check" verify "$GUN:$TAG")
		[[ $got == "$want" ]] || peers_die "trust verify $GUN:$TAG from $server printed '$got', want '$want'"
		rm -rf "$WORK/check"
	done
	# One trust dir per store: the copy's root lists the publisher's own timestamp
	# key, so a trust dir that followed it rightly refuses notary-server's timestamp.
	trust_at "$OCI" "$WORK/check-oci" inspect "$GUN" >"$WORK/inspect-oci.json"
	trust_at "$TRUST_TEST_SERVER" "$WORK/check-notary" inspect "$GUN" >"$WORK/inspect-notary.json"
	rm -rf "$WORK/check-oci" "$WORK/check-notary"
	cmp -s "$WORK/inspect-oci.json" "$WORK/inspect-notary.json" ||
		peers_die "trust inspect differs between the stores ($WORK/inspect-*.json)"
}

# requests LOG PATTERN FROM: how many requests LOG recorded after line FROM whose
# URI contains PATTERN, made by trust.
requests() {
	local log=$1 pattern=$2 from=$3
	tail -n +"$((from + 1))" "$log" | grep -F -- "$pattern" | grep -F 'trust/' |
		if [[ $log == "$REGISTRY_LOG" ]]; then grep -c 'response completed'; else grep -c 'http.request.uri'; fi || true
}

# round_trips NAME LOG PATTERN CMD...: runs CMD once and prints how many requests
# for PATTERN it made (LOG is written as the server answers: let it settle).
round_trips() {
	local name=$1 log=$2 pattern=$3 from
	shift 3
	from=$(wc -l <"$log")
	"$@" >/dev/null
	sleep 0.3
	printf '%-34s %6s\n' "$name" "$(requests "$log" "$pattern" "$from")" >>"$WORK/round-trips.txt"
}

count_round_trips() {
	local oci_path=/v2/$STORE_REPO/ notary_path=/v2/$GUN/_trust/
	printf '\n%-34s %6s\n' "command" "round trips" >"$WORK/round-trips.txt"
	rm -rf "$WORK/rt-oci" "$WORK/rt-notary"
	round_trips "verify, cold, oci://" "$REGISTRY_LOG" "$oci_path" trust_at "$OCI" "$WORK/rt-oci" verify "$GUN:$TAG"
	round_trips "verify, warm, oci://" "$REGISTRY_LOG" "$oci_path" trust_at "$OCI" "$WORK/rt-oci" verify "$GUN:$TAG"
	round_trips "verify, cold, notary-server" "$NOTARY_LOG" "$notary_path" \
		trust_at "$TRUST_TEST_SERVER" "$WORK/rt-notary" verify "$GUN:$TAG"
	round_trips "verify, warm, notary-server" "$NOTARY_LOG" "$notary_path" \
		trust_at "$TRUST_TEST_SERVER" "$WORK/rt-notary" verify "$GUN:$TAG"
	reset_sign
	round_trips "sign $N tags, oci://" "$REGISTRY_LOG" "/v2/$SIGN_STORE/" "${SIGN_OCI[@]}"
	round_trips "sign $N tags, notary-server" "$NOTARY_LOG" "/v2/$SIGN_GUN/_trust/" "${SIGN_NOTARY[@]}"
}

# bench NAME PREPARE CMD_A NAME_A CMD_B NAME_B [HYPERFINE FLAGS...]: both commands,
# JSON in WORK/NAME.json.
bench() {
	local name=$1 prepare=$2 a=$3 a_name=$4 b=$5 b_name=$6
	shift 6
	local flags=("$@")
	[[ -z $prepare ]] || flags+=(--prepare "$prepare")
	hyperfine -N "${flags[@]}" --export-json "$WORK/$name.json" -n "$a_name" "$a" -n "$b_name" "$b"
}

# ratios NAME...: mean times and notary-server/oci (above 1: the registry store is faster).
ratios() {
	local name
	printf '\n%-14s %12s %18s %18s\n' benchmark "oci:// ms" "notary-server ms" "notary/oci"
	for name in "$@"; do
		jq -r --arg n "$name" '[.results[].mean * 1000] as [$o, $no]
			| "\($n) \($o) \($no) \($no / $o)"' "$WORK/$name.json"
	done | while read -r name o no ratio; do
		printf '%-14s %12.2f %18.2f %17.2fx\n' "$name" "$o" "$no" "$ratio"
	done
}

main() {
	[[ -x $TRUST_BIN ]] || peers_die "$TRUST_BIN missing: cargo build --release"
	command -v hyperfine >/dev/null || peers_die "hyperfine missing: apt-get install hyperfine"
	make_repo
	STORE_REPO=$(<"$STORE_REPO_FILE")
	OCI=oci://$TRUST_TEST_REGISTRY/$STORE_REPO
	local images=() i
	for ((i = 1; i <= N; i++)); do images+=("$SIGN_GUN:tag$i"); done
	peers_log "pushing one manifest under $N tags of $SIGN_GUN"
	push_sign_tags
	local common=(--tlscacert "$TRUST_TEST_CA" sign "${images[@]}")
	SIGN_OCI=("$TRUST_BIN" --server "oci://$TRUST_TEST_REGISTRY/$SIGN_STORE" --trust-dir "$WORK/sign-oci" "${common[@]}")
	SIGN_NOTARY=("$TRUST_BIN" --server "$TRUST_TEST_SERVER" --trust-dir "$WORK/sign-notary" "${common[@]}")
	check_outputs
	count_round_trips

	local oci_cold=$WORK/cold-oci notary_cold=$WORK/cold-notary
	local -a hf
	# shellcheck disable=SC2206 # HYPERFINE_ARGS is a list of flags
	hf=(${HYPERFINE_ARGS:---warmup 3 --min-runs 20})
	bench verify-cold "rm -rf $oci_cold $notary_cold" \
		"$(cmdline "$TRUST_BIN" --server "$OCI" --trust-dir "$oci_cold" --tlscacert "$TRUST_TEST_CA" verify "$GUN:$TAG")" \
		"oci:// verify, cold" \
		"$(cmdline "$TRUST_BIN" --server "$TRUST_TEST_SERVER" --trust-dir "$notary_cold" --tlscacert "$TRUST_TEST_CA" verify "$GUN:$TAG")" \
		"notary-server verify, cold" "${hf[@]}"
	bench verify-warm "" \
		"$(cmdline "$TRUST_BIN" --server "$OCI" --trust-dir "$WORK/warm-oci" --tlscacert "$TRUST_TEST_CA" verify "$GUN:$TAG")" \
		"oci:// verify, warm" \
		"$(cmdline "$TRUST_BIN" --server "$TRUST_TEST_SERVER" --trust-dir "$WORK/warm-notary" --tlscacert "$TRUST_TEST_CA" verify "$GUN:$TAG")" \
		"notary-server verify, warm" "${hf[@]}"
	bench "sign-$N" "$(cmdline bash "$0" --reset-sign "$STATE_ARG" "$N")" \
		"$(cmdline "${SIGN_OCI[@]}")" "oci:// sign $N tags" \
		"$(cmdline "${SIGN_NOTARY[@]}")" "notary-server sign $N tags" --runs "${SIGN_RUNS:-3}"
	ratios verify-cold verify-warm "sign-$N"
	cat "$WORK/round-trips.txt"
	peers_log "$N tags, tag $TAG; store oci://$TRUST_TEST_REGISTRY/$STORE_REPO; results in $WORK/*.json"
}

if [[ -n $RESET ]]; then
	reset_sign
else
	main
fi
