#!/usr/bin/env bash
# Benchmarks trust-engine-hook's decisions: real /AuthZPlugin.AuthZReq requests for
# the pull of a signed tag, sent over the plugin's unix socket as dockerd sends
# them (keep-alive connections, one request at a time on each), by the load
# generator engine-hook/examples/authz_load.rs. Reports decisions per second and
# p50/p90/p99/max latency (client side: request written to answer read) at
# concurrency 1 and 32, for:
#   warm         --cache-ttl 60, one signed tag verified once beforehand: every
#                decision comes from the hook's decision cache
#   cold-ttl0    --cache-ttl 0 (the cache off; the trust data on disk is warm):
#                every decision asks notary-server for the timestamp and verifies it;
#                all requests for one repository
#   cold-ttl0-n  the same, round robin over NEW_REPOS repositories
#   cold-new     a fresh hook (empty trust dir) and NEW_REPOS repositories it has
#                never seen: every decision is a first contact (root, timestamp,
#                snapshot, targets fetched and verified; trust on first use)
# Aims: p99 <= 2 ms warm, <= 50 ms cold.
#
# Usage: scripts/bench-hook.sh STATE_DIR
#   STATE_DIR: peers started with tests/peers/start.sh STATE_DIR (notary-server
#   only: no engine and no registry access; everything stays on loopback).
# Builds target/release/{trust-engine-hook,trust,examples/authz_load} first.
# Bounded: BENCH_WARM_REQUESTS (50000), BENCH_COLD_REQUESTS (1000),
# BENCH_NEW_REPOS (300) requests per run, BENCH_MAX_SECONDS (20) per run.
# BENCH_HOOK_STRICT=1 exits 1 when an aim is missed. Results: a table on stdout,
# JSON lines in $WORK/results.jsonl (WORK is printed; removed unless BENCH_KEEP=1).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/tests/peers/lib.sh"

[[ $# -eq 1 ]] || peers_die "usage: $0 STATE_DIR"
peers_source_env "$1"
peers_need_env
WARM_REQUESTS=${BENCH_WARM_REQUESTS:-50000}
COLD_REQUESTS=${BENCH_COLD_REQUESTS:-1000}
NEW_REPOS=${BENCH_NEW_REPOS:-300}
MAX_SECONDS=${BENCH_MAX_SECONDS:-20}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
HOOK_BIN=$TARGET/release/trust-engine-hook
TRUST_BIN=$TARGET/release/trust
LOAD_BIN=$TARGET/release/examples/authz_load
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-hook.XXXXXX")
SOCKET=$WORK/hook.sock
RUN=$(date +%s)-$$
GUN_PREFIX=$TRUST_TEST_REGISTRY/bench-hook/$RUN
HOOK_PID=

cleanup() {
	stop_hook
	if [[ ${BENCH_KEEP:-} == 1 ]]; then peers_log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

build() {
	peers_log "building release binaries (trust-engine-hook, trust, authz_load)"
	(cd "$ROOT" && cargo build --quiet --release -p engine-hook --bin trust-engine-hook --example authz_load &&
		cargo build --quiet --release -p trust-cli --bin trust)
}

trust_cmd() {
	DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		"$TRUST_BIN" --server "$TRUST_TEST_SERVER" --tlscacert "$TRUST_TEST_CA" \
		--trust-dir "$WORK/signer" "$@"
}

# sign_repos: GUN_PREFIX/app:v1 and GUN_PREFIX/new-1..NEW_REPOS:v1, each a new
# repository with one signed tag (made-up digests: no registry needed).
sign_repos() {
	local i start=$SECONDS
	trust_cmd sign --digest "sha256:$(fixed_sha256 "bench-hook/$RUN/app")" --size 527 "$GUN_PREFIX/app:v1" >/dev/null
	for ((i = 1; i <= NEW_REPOS; i++)); do
		trust_cmd sign --digest "sha256:$(fixed_sha256 "bench-hook/$RUN/$i")" --size 527 \
			"$GUN_PREFIX/new-$i:v1" >/dev/null
	done
	peers_log "signed $((NEW_REPOS + 1)) repositories in $((SECONDS - start)) s"
}

# start_hook TTL TRUSTDIR: the hook on $SOCKET, logging every decision to a file
# (as the packaged service does).
start_hook() {
	stop_hook
	"$HOOK_BIN" serve --policy "$WORK/policy.json" --socket "$SOCKET" \
		--engine-socket "$WORK/no-engine.sock" --trust-dir "$2" --tlscacert "$TRUST_TEST_CA" \
		--cache-ttl "$1" --log "$WORK/decisions.log" </dev/null >/dev/null 2>>"$WORK/hook.stderr" &
	HOOK_PID=$!
	for _ in $(seq 100); do
		[[ -S $SOCKET ]] && return 0
		kill -0 "$HOOK_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/hook.stderr" >&2
	peers_die "trust-engine-hook did not start"
}

stop_hook() {
	[[ -n $HOOK_PID ]] || return 0
	kill "$HOOK_PID" 2>/dev/null || true
	wait "$HOOK_PID" 2>/dev/null || true
	HOOK_PID=
	rm -f "$SOCKET" "$WORK/decisions.log" # the log of 50000 decisions is ~25 MB
}

# load LABEL CONCURRENCY REQUESTS IMAGE...: one run of the load generator.
load() {
	local label=$1 concurrency=$2 requests=$3
	shift 3
	local images=() i
	for i in "$@"; do images+=(--image "$i"); done
	"$LOAD_BIN" --socket "$SOCKET" --label "$label" --concurrency "$concurrency" \
		--requests "$requests" --max-seconds "$MAX_SECONDS" --expect allow "${images[@]}" \
		>>"$WORK/results.jsonl" || peers_die "$label at concurrency $concurrency had errors"
}

main() {
	local c new=() i
	peers_log "work dir $WORK"
	build
	jq -n --arg scope "$GUN_PREFIX/*" --arg server "$TRUST_TEST_SERVER" \
		'{"content-trust": {mode: "enforced", scopes: {($scope): {tofu: true, server: $server}}}}' \
		>"$WORK/policy.json"
	sign_repos
	for ((i = 1; i <= NEW_REPOS; i++)); do new+=("$GUN_PREFIX/new-$i:v1"); done

	start_hook 60 "$WORK/trust-warm"
	load prime 1 1 "$GUN_PREFIX/app:v1" 2>/dev/null
	: >"$WORK/results.jsonl"
	for c in 1 32; do load warm "$c" "$WARM_REQUESTS" "$GUN_PREFIX/app:v1"; done

	start_hook 0 "$WORK/trust-warm" # the cache off; the trust data on disk stays
	for c in 1 32; do load cold-ttl0 "$c" "$COLD_REQUESTS" "$GUN_PREFIX/app:v1"; done

	for c in 1 32; do
		start_hook 60 "$WORK/trust-new-$c" # nothing known: every repository is new
		load cold-new "$c" "$NEW_REPOS" "${new[@]}"
	done

	start_hook 0 "$WORK/trust-new-1" # the cache off, trust data on disk, many repositories
	for c in 1 32; do load cold-ttl0-n "$c" "$COLD_REQUESTS" "${new[@]}"; done
	stop_hook
	report
}

# report: the table, and each aim met or missed.
report() {
	local missed
	echo
	printf '%-11s %5s %8s %12s %9s %9s %9s %9s\n' case conc requests 'decisions/s' 'p50 ms' 'p90 ms' 'p99 ms' 'max ms'
	jq -r '[.label, .concurrency, .ok, .per_second, .p50_ms, .p90_ms, .p99_ms, .max_ms] | @tsv' "$WORK/results.jsonl" |
		while IFS=$'\t' read -r l c n r p50 p90 p99 max; do
			printf '%-11s %5s %8s %12.1f %9.3f %9.3f %9.3f %9.3f\n' "$l" "$c" "$n" "$r" "$p50" "$p90" "$p99" "$max"
		done
	missed=$(jq -r 'select((.label == "warm" and .p99_ms > 2) or (.label != "warm" and .p99_ms > 50))
		| "\(.label) c=\(.concurrency): p99 \(.p99_ms) ms"' "$WORK/results.jsonl")
	echo
	if [[ -z $missed ]]; then
		echo "aims met: p99 <= 2 ms warm, <= 50 ms cold"
	else
		echo "aims missed (p99 <= 2 ms warm, <= 50 ms cold):"
		echo "$missed"
		[[ ${BENCH_HOOK_STRICT:-} != 1 ]] || exit 1
	fi
}

main
