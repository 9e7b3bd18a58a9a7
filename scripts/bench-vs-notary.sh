#!/usr/bin/env bash
# Times the `trust` CLI against the notary CLI on one repository with N tags
# (signed with `notary addhash` into targets, one publish), both with a warm
# cache in their trust dir:
#   trust verify IMAGE:TAG   vs  notary lookup GUN TAG
#   trust inspect IMAGE      vs  notary list GUN
# Usage: scripts/bench-vs-notary.sh STATE_DIR [N]     (default N=1000)
#   STATE_DIR: peers started with tests/peers/start.sh STATE_DIR
#   TRUST_BIN: the trust binary (default target/release/trust; build it with
#              cargo build --release). HYPERFINE_ARGS: hyperfine flags
#              (default "--warmup 3 --min-runs 20").
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/tests/peers/lib.sh"

[[ $# -ge 1 && $# -le 2 ]] || peers_die "usage: $0 STATE_DIR [N]"
peers_source_env "$1"
N=${2:-1000}
TRUST_BIN=${TRUST_BIN:-$ROOT/target/release/trust}
GUN=$TRUST_TEST_REGISTRY/bench/tags-$N
WORK=$TRUST_TEST_STATE/bench-$N
TAG=tag$((N / 2 + 1))
[[ -x $TRUST_BIN ]] || peers_die "$TRUST_BIN missing: cargo build --release"
command -v hyperfine >/dev/null || peers_die "hyperfine missing: apt-get install hyperfine"

tag_digest() { fixed_sha256 "bench/$1"; }

# make_repo: a fresh GUN with N tags in targets, published once.
make_repo() {
	local i author=$WORK/author
	rm -rf "$WORK"
	mkdir -p "$WORK"
	notary_cmd "$WORK/deleter" delete --remote "$GUN" >/dev/null
	notary_cmd "$author" init "$GUN" >/dev/null
	peers_log "staging $N tags for $GUN"
	for ((i = 1; i <= N; i++)); do
		notary_cmd "$author" addhash "$GUN" "tag$i" "$((1000 + i))" \
			--sha256 "$(tag_digest "tag$i")" >/dev/null
	done
	notary_cmd "$author" publish "$GUN" >/dev/null
}

# The commands under test, each with its own trust dir (its cache).
TRUST_CMD=("$TRUST_BIN" --server "$TRUST_TEST_SERVER" --trust-dir "$WORK/trust" --tlscacert "$TRUST_TEST_CA")
NOTARY_CMD=("$NOTARY_BIN" -s "$TRUST_TEST_SERVER" -d "$WORK/notary" --tlscacert "$TRUST_TEST_CA")

# cmdline ARGS...: ARGS quoted into one string for hyperfine.
cmdline() { printf '%q ' "$@"; }

# check_outputs: one run of each command, which also fills both caches;
# `trust verify` must print the signed digest.
check_outputs() {
	local want got
	want="sha256:$(tag_digest "$TAG")"
	got=$("${TRUST_CMD[@]}" verify "$GUN:$TAG")
	[[ $got == "$want" ]] || peers_die "trust verify $GUN:$TAG printed '$got', want '$want'"
	[[ $("${NOTARY_CMD[@]}" lookup "$GUN" "$TAG") == *"$(tag_digest "$TAG")"* ]] ||
		peers_die "notary lookup $GUN $TAG does not show the digest"
	"${TRUST_CMD[@]}" inspect "$GUN" >"$WORK/trust-inspect.json"
	"${NOTARY_CMD[@]}" list "$GUN" >/dev/null
	docker_trust "$(peers_docker_config "$WORK/docker")" inspect "$GUN" >"$WORK/docker-inspect.json"
	cmp -s "$WORK/trust-inspect.json" "$WORK/docker-inspect.json" ||
		peers_log "warning: trust inspect differs from docker trust inspect ($WORK/*-inspect.json)"
}

# bench NAME NOTARY_NAME TRUST_CMD NOTARY_CMD: hyperfine of both commands,
# JSON in WORK/NAME.json.
bench() {
	# shellcheck disable=SC2086 # HYPERFINE_ARGS is a list of flags
	hyperfine -N ${HYPERFINE_ARGS:---warmup 3 --min-runs 20} \
		--export-json "$WORK/$1.json" -n "trust $1" "$3" -n "notary $2" "$4"
}

# ratios NAME...: mean times and notary/trust (above 1: trust is faster).
ratios() {
	local name
	printf '\n%-10s %12s %12s %15s\n' benchmark "trust ms" "notary ms" "notary/trust"
	for name in "$@"; do
		jq -r --arg n "$name" '[.results[].mean * 1000] as [$t, $no]
			| "\($n) \($t) \($no) \($no / $t)"' "$WORK/$name.json"
	done | while read -r name t no ratio; do
		printf '%-10s %12.2f %12.2f %14.2fx\n' "$name" "$t" "$no" "$ratio"
	done
}

main() {
	make_repo
	check_outputs
	bench verify lookup "$(cmdline "${TRUST_CMD[@]}" verify "$GUN:$TAG")" \
		"$(cmdline "${NOTARY_CMD[@]}" lookup "$GUN" "$TAG")"
	bench inspect list "$(cmdline "${TRUST_CMD[@]}" inspect "$GUN")" \
		"$(cmdline "${NOTARY_CMD[@]}" list "$GUN")"
	ratios verify inspect
	peers_log "$N tags, tag $TAG; results in $WORK/{verify,inspect}.json"
}

main
