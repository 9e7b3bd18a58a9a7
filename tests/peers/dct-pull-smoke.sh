#!/usr/bin/env bash
# Smoke test of the whole content-trust pull path with the real tools:
# private engine (dockerd.sh) -> image pushed to the test registry
# (image.sh) -> tag signed by the docker 20.10 CLI (DOCKER_CONTENT_TRUST=1
# docker push) on the test notary-server -> local image removed ->
# DOCKER_CONTENT_TRUST=1 docker pull by a fresh client resolves the tag to the
# signed digest and pulls it. Also checks that DCT pulls of an unsigned tag
# and of an unsigned repository fail with docker's errors.
# Usage: tests/peers/dct-pull-smoke.sh STATE_DIR   (after start.sh STATE_DIR)
# Starts the engine if it does not run and leaves it running
# (tests/peers/dockerd.sh stop STATE_DIR). Re-runnable: it deletes its GUNs
# on the server first. Everything it makes is under STATE_DIR/smoke.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || peers_die "usage: $0 STATE_DIR"
[[ -f $1/env ]] || peers_die "$1/env missing: run tests/peers/start.sh $1 first"
"$PEERS_DIR/dockerd.sh" start "$1"
peers_source_env "$1"
WORK=$TRUST_TEST_STATE/smoke
SIGNED=smoke/dct          # v1 signed; v2 pushed, never signed
UNSIGNED=smoke/dct-unsigned # pushed, no trust data at all

ref() { echo "$TRUST_TEST_REGISTRY/$1"; }

fail() {
	peers_tail "$TRUST_TEST_DOCKERD_LOG" 20
	peers_die "dct-pull-smoke: $*"
}

# expect_in TEXT NEEDLE WHAT: fails unless TEXT contains NEEDLE.
expect_in() {
	[[ $1 == *"$2"* ]] || fail "$3: expected '$2' in:"$'\n'"$1"
}

reset() {
	local gun
	rm -rf "$WORK"
	mkdir -p "$WORK"
	for gun in "$(ref $SIGNED)" "$(ref $UNSIGNED)"; do
		notary_cmd "$WORK/deleter" delete --remote "$gun" >/dev/null
	done
	engine_docker rmi -f "$(ref $SIGNED):v1" "$(ref $SIGNED):v2" "$(ref $UNSIGNED):v1" \
		>/dev/null 2>&1 || true
}

# sign NAME:TAG: `DOCKER_CONTENT_TRUST=1 docker push` as a publisher (it
# pushes again, then signs the tag with new root and repository keys).
sign() {
	local out
	out=$(engine_dct "$(peers_docker_config "$WORK/publisher")" push "$(ref "$1")" 2>&1) ||
		fail "DCT push of $1 failed: $out"
	expect_in "$out" "Successfully signed $(ref "$1")" "DCT push"
}

# check_signed NAME:TAG DIGEST SIZE: the server's trust data has that target
# (`notary list`: NAME DIGEST SIZE ROLE).
check_signed() {
	local got
	got=$(notary_cmd "$WORK/inspector" list "$(ref "${1%:*}")" |
		awk -v tag="${1##*:}" '$1 == tag {print "sha256:" $2, $3, $4}')
	[[ $got == "$2 $3 targets" ]] || fail "notary list shows '$got' for $1, pushed '$2 $3'"
}

# pull_signed NAME:TAG DIGEST: a fresh DCT client pulls the tag by the
# signed digest; the engine then has the image with that repo digest.
pull_signed() {
	local image out repo_digests
	image=$(ref "$1")
	out=$(engine_dct "$(peers_docker_config "$WORK/puller")" pull "$image" 2>&1) ||
		fail "DCT pull of $image failed: $out"
	expect_in "$out" "Pull (1 of 1): $image@$2" "DCT pull output"
	expect_in "$out" "Tagging ${image%:*}@$2 as $image" "DCT pull output"
	repo_digests=$(engine_docker image inspect -f '{{json .RepoDigests}}' "$image") ||
		fail "$image is not in the engine after the pull"
	expect_in "$repo_digests" "\"${image%:*}@$2\"" "RepoDigests of $image"
}

# pull_refused NAME:TAG MESSAGE: a DCT pull fails with MESSAGE and pulls nothing.
pull_refused() {
	local image out
	image=$(ref "$1")
	if out=$(engine_dct "$(peers_docker_config "$WORK/puller")" pull "$image" 2>&1); then
		fail "DCT pull of unsigned $image succeeded: $out"
	fi
	expect_in "$out" "$2" "DCT pull of unsigned $image"
	! engine_docker image inspect "$image" >/dev/null 2>&1 || fail "$image was pulled anyway"
	peers_log "refused as expected: $image: $out"
}

main() {
	local start=$SECONDS pushed digest size
	reset
	pushed=$("$PEERS_DIR/image.sh" "$TRUST_TEST_STATE" "$SIGNED:v1")
	read -r digest size <<<"$pushed"
	"$PEERS_DIR/image.sh" "$TRUST_TEST_STATE" "$SIGNED:v2" >/dev/null
	"$PEERS_DIR/image.sh" "$TRUST_TEST_STATE" "$UNSIGNED:v1" >/dev/null
	sign "$SIGNED:v1"
	check_signed "$SIGNED:v1" "$digest" "$size"
	engine_docker rmi "$(ref $SIGNED):v1" "$(ref $SIGNED):v2" "$(ref $UNSIGNED):v1" >/dev/null
	pull_signed "$SIGNED:v1" "$digest"
	pull_refused "$SIGNED:v2" "No valid trust data for v2"
	pull_refused "$UNSIGNED:v1" "does not have trust data for $(ref $UNSIGNED)"
	peers_log "dct-pull-smoke ok in $((SECONDS - start))s: $(ref $SIGNED):v1 = $digest ($size bytes)"
}

main
