#!/usr/bin/env bash
# Times the `trust` CLI against the notary and docker CLIs on one repository
# with N tags (signed with `notary addhash` into targets, one publish), each
# with a warm cache in its own trust dir:
#   trust verify IMAGE:TAG   vs  notary lookup GUN TAG
#   trust inspect IMAGE      vs  notary list GUN
#   trust inspect IMAGE      vs  docker trust inspect IMAGE   (the same JSON)
# and the peak resident memory of one run of each (/usr/bin/time -f %M).
# Prints nproc, both sides' mean times and peaks, and the ratios; then the floor:
# trust-core's one_request example (start, TLS handshake, one GET of the
# timestamp, nothing else) and notary lookup's time over it, the largest lead any
# client that asks the server on every run can have on this machine.
# Usage: scripts/bench-vs-notary.sh STATE_DIR [N]     (default N=1000)
#   STATE_DIR: peers started with tests/peers/start.sh STATE_DIR
#   TRUST_BIN: the trust binary (default target/release/trust; build it with
#              cargo build --release; target/debug/trust works too, for a smoke
#              run). HYPERFINE_ARGS: hyperfine flags (default
#              "--warmup 3 --min-runs 20"). FLOOR_BIN: the one_request example
#              (default: examples/one_request beside TRUST_BIN, built with
#              cargo in TRUST_BIN's profile when missing).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/tests/peers/lib.sh"

[[ $# -ge 1 && $# -le 2 ]] || peers_die "usage: $0 STATE_DIR [N]"
peers_source_env "$1"
N=${2:-1000}
[[ $N =~ ^[1-9][0-9]*$ ]] || peers_die "N must be a positive number, not '$N'"
TRUST_BIN=${TRUST_BIN:-$ROOT/target/release/trust}
FLOOR_BIN=${FLOOR_BIN:-$(dirname "$TRUST_BIN")/examples/one_request}
# N first and a suffix after it: notary-server's memory store deletes every GUN
# that starts with the one named, so `notary delete .../tags-1000` would also
# remove a 10,000-tag repository called .../tags-10000.
GUN=$TRUST_TEST_REGISTRY/bench/$N-tags
WORK=$TRUST_TEST_STATE/bench-$N
TAG=tag$((N / 2 + 1))
[[ -x $TRUST_BIN ]] || peers_die "$TRUST_BIN missing: cargo build --release"
command -v hyperfine >/dev/null || peers_die "hyperfine missing: apt-get install hyperfine"
[[ -x /usr/bin/time ]] || peers_die "/usr/bin/time missing: apt-get install time"

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
# docker_trust's environment (tests/peers/lib.sh), spelled out for hyperfine.
DOCKER_CMD=(env "DOCKER_CONFIG=$WORK/docker" "DOCKER_CONTENT_TRUST_SERVER=$TRUST_TEST_SERVER"
	"$PEERS_DOCKER_BIN" trust)

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

# bench NAME TRUST_LABEL OTHER_LABEL TRUST_CMD OTHER_CMD: hyperfine of both
# commands (JSON in WORK/NAME.json), then one run of each under /usr/bin/time for
# its peak RSS (WORK/NAME.{trust,other}.kb); the labels name them in the table.
bench() {
	# shellcheck disable=SC2086 # HYPERFINE_ARGS is a list of flags
	hyperfine -N ${HYPERFINE_ARGS:---warmup 3 --min-runs 20} \
		--export-json "$WORK/$1.json" -n "$2" "$4" -n "$3" "$5"
	printf '%s\n' "$2" "$3" >"$WORK/$1.labels"
	peak_kb "$WORK/$1.trust.kb" "$4"
	peak_kb "$WORK/$1.other.kb" "$5"
}

# peak_kb FILE CMDLINE: the peak RSS in kB of one run of CMDLINE (a `cmdline`
# string), written to FILE.
peak_kb() {
	eval "/usr/bin/time -f %M -o $(printf %q "$1") $2" >/dev/null 2>&1 ||
		peers_die "failed under /usr/bin/time: $2"
}

# ratios NAME...: mean times and peaks of both sides, and other/trust (above 1:
# trust is faster, or smaller).
ratios() {
	local name ours other t o tk ok
	printf '\nnproc %s, %s tags, %s\n' "$(nproc)" "$N" "$TRUST_BIN"
	printf '%-14s %9s %9s %7s %10s %10s %7s  %s\n' trust "trust ms" "other ms" ratio \
		"trust MiB" "other MiB" ratio other
	for name in "$@"; do
		{ read -r ours && read -r other; } <"$WORK/$name.labels"
		read -r t o < <(jq -r '[.results[].mean * 1000] | "\(.[0]) \(.[1])"' "$WORK/$name.json")
		tk=$(tail -n 1 "$WORK/$name.trust.kb")
		ok=$(tail -n 1 "$WORK/$name.other.kb")
		awk -v n="$ours" -v t="$t" -v o="$o" -v tk="$tk" -v ok="$ok" -v other="$other" 'BEGIN {
			printf "%-14s %9.2f %9.2f %6.2fx %10.1f %10.1f %6.2fx  %s\n",
				n, t, o, o / t, tk / 1024, ok / 1024, ok / tk, other }'
	done
}

# build_floor: the one_request example, in TRUST_BIN's target dir and profile.
build_floor() {
	[[ -x $FLOOR_BIN ]] && return 0
	local dir profile=()
	dir=$(dirname "$TRUST_BIN")
	[[ $(basename "$dir") == release ]] && profile=(--release)
	peers_log "building $FLOOR_BIN"
	(cd "$ROOT" && CARGO_TARGET_DIR=$(dirname "$dir") cargo build --quiet "${profile[@]}" -p trust-core \
		--example one_request) || peers_die "cannot build the one_request example"
	[[ -x $FLOOR_BIN ]] || peers_die "$FLOOR_BIN missing after the build"
}

# floor: hyperfine of one_request against the timestamp URL, and notary lookup's
# mean (from the verify bench) over it.
floor() {
	local url=$TRUST_TEST_SERVER/v2/$GUN/_trust/tuf/timestamp.json f o
	"$FLOOR_BIN" "$url" "$TRUST_TEST_CA" | grep -q ' 200 ' || peers_die "one_request $url did not get 200"
	# shellcheck disable=SC2086 # HYPERFINE_ARGS is a list of flags
	hyperfine -N ${HYPERFINE_ARGS:---warmup 3 --min-runs 20} --export-json "$WORK/floor.json" \
		-n "one request" "$(cmdline "$FLOOR_BIN" "$url" "$TRUST_TEST_CA")" >/dev/null 2>&1 ||
		peers_die "hyperfine of one_request failed"
	f=$(jq -r '.results[0].mean * 1000' "$WORK/floor.json")
	o=$(jq -r '.results[1].mean * 1000' "$WORK/verify.json")
	awk -v f="$f" -v o="$o" 'BEGIN {
		printf "\nfloor: one HTTPS GET of the timestamp and nothing else (one_request) %.2f ms;\n", f
		printf "notary lookup / floor = %.2fx: the largest lead of any client that asks the server on every run\n", o / f }'
}

main() {
	build_floor
	make_repo
	check_outputs
	bench verify "trust verify" "notary lookup" "$(cmdline "${TRUST_CMD[@]}" verify "$GUN:$TAG")" \
		"$(cmdline "${NOTARY_CMD[@]}" lookup "$GUN" "$TAG")"
	bench inspect "trust inspect" "notary list" "$(cmdline "${TRUST_CMD[@]}" inspect "$GUN")" \
		"$(cmdline "${NOTARY_CMD[@]}" list "$GUN")"
	bench docker "trust inspect" "docker trust inspect" "$(cmdline "${TRUST_CMD[@]}" inspect "$GUN")" \
		"$(cmdline "${DOCKER_CMD[@]}" inspect "$GUN")"
	ratios verify inspect docker
	floor
	peers_log "$N tags, tag $TAG; results in $WORK/{verify,inspect,docker}.json"
}

main
