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
# Builds $CARGO_TARGET_DIR/PROFILE/{trust-engine-hook,trust,examples/authz_load}
# first: BENCH_PROFILE (release) is the cargo profile (debug: the dev profile, as
# `cargo test` left it); BENCH_BUILD=0 builds nothing and uses the binaries there.
# Bounded: BENCH_WARM_REQUESTS (50000), BENCH_COLD_REQUESTS (1000),
# BENCH_NEW_REPOS (300) requests per run, BENCH_MAX_SECONDS (20) per run.
# BENCH_CASES (warm cold-ttl0 cold-new cold-ttl0-n): the cases run;
# BENCH_REPEAT (1): runs of each case and concurrency (cold-new: a fresh hook
# each), summarised as the best and the median p99 when more than one.
# BENCH_PIN=1: the hook and the load generator on CPU BENCH_HOOK_CPUS (1),
# notary-server (every thread, `taskset -a`) on BENCH_SERVER_CPUS (0) for the
# runs, its affinity restored on exit: the trust server on a core of its own.
# BENCH_HOOK_STRICT=1 exits 1 when an aim is missed. Results: a table on stdout,
# JSON lines in $WORK/results.jsonl (WORK is printed; removed unless BENCH_KEEP=1).
# The hook's trust dirs are in WORK, under TMPDIR (default /tmp): a first contact
# writes a repository's four metadata files and its fetch record there (each a new
# file, renamed into place), so the file system under TMPDIR is part of the figure
# and the table names it. TMPDIR=/dev/shm puts them on tmpfs. The repositories are
# signed beforehand from a trust dir under BENCH_SETUP_DIR (default /dev/shm), so
# that the signing's own files do not change that file system. Run it on a file
# system that has not just deleted many files (a previous run's cleanup included):
# ext4 without a journal skips inodes deleted in the last 5 minutes or so when it
# allocates, and the first contacts pay for that.
# CI-sized: BENCH_PROFILE=debug BENCH_BUILD=0 BENCH_NEW_REPOS=20
#   BENCH_COLD_REQUESTS=100 BENCH_WARM_REQUESTS=2000 scripts/bench-hook.sh STATE
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
CASES=${BENCH_CASES:-warm cold-ttl0 cold-new cold-ttl0-n}
REPEAT=${BENCH_REPEAT:-1}
PROFILE=${BENCH_PROFILE:-release}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $PROFILE in
release) PROFILE_DIR=release PROFILE_FLAG=(--release) ;;
debug | dev) PROFILE_DIR=debug PROFILE_FLAG=() ;;
*) PROFILE_DIR=$PROFILE PROFILE_FLAG=(--profile "$PROFILE") ;;
esac
HOOK_BIN=$TARGET/$PROFILE_DIR/trust-engine-hook
TRUST_BIN=$TARGET/$PROFILE_DIR/trust
LOAD_BIN=$TARGET/$PROFILE_DIR/examples/authz_load
HOOK_CPUS=${BENCH_HOOK_CPUS:-1}
SERVER_CPUS=${BENCH_SERVER_CPUS:-0}
PIN=() # the taskset prefix of the hook and the load generator
SERVER_PID= SERVER_AFFINITY=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-hook.XXXXXX")
# The repositories are signed from a trust dir elsewhere (tmpfs when there is one):
# signing 300 repositories creates and deletes thousands of files, and ext4 without
# a journal passes over inodes deleted in the last minutes when it allocates new
# ones (fs/ext4/ialloc.c, recently_deleted), a cost the hook's first contacts would
# then pay on the file system measured.
SETUP_BASE=${BENCH_SETUP_DIR:-/dev/shm}
[[ -d $SETUP_BASE && -w $SETUP_BASE ]] || SETUP_BASE=$WORK
SETUP=$(mktemp -d "$SETUP_BASE/bench-hook-setup.XXXXXX")
SOCKET=$WORK/hook.sock
RUN=$(date +%s)-$$
GUN_PREFIX=$TRUST_TEST_REGISTRY/bench-hook/$RUN
HOOK_PID=

cleanup() {
	stop_hook
	unpin_server
	if [[ ${BENCH_KEEP:-} == 1 ]]; then peers_log "kept $WORK and $SETUP"; else rm -rf "$WORK" "$SETUP"; fi
}
trap cleanup EXIT

build() {
	if [[ ${BENCH_BUILD:-1} == 0 ]]; then
		local bin
		for bin in "$HOOK_BIN" "$TRUST_BIN" "$LOAD_BIN"; do
			[[ -x $bin ]] || peers_die "$bin missing (BENCH_BUILD=0 builds nothing; BENCH_PROFILE=$PROFILE)"
		done
		peers_log "using the $PROFILE binaries in $TARGET/$PROFILE_DIR (not rebuilt)"
		return 0
	fi
	peers_log "building $PROFILE binaries (trust-engine-hook, trust, authz_load)"
	(cd "$ROOT" && cargo build --quiet "${PROFILE_FLAG[@]}" -p engine-hook --bin trust-engine-hook --example authz_load &&
		cargo build --quiet "${PROFILE_FLAG[@]}" -p trust-cli --bin trust)
}

# pin: with BENCH_PIN=1, notary-server on SERVER_CPUS (all its threads) and the
# hook and the load generator on HOOK_CPUS; prints what is used either way.
pin() {
	peers_log "nproc $(nproc)"
	if [[ ${BENCH_PIN:-} != 1 ]]; then
		peers_log "no pinning (BENCH_PIN=1 gives the trust server a core of its own)"
		return 0
	fi
	command -v taskset >/dev/null || peers_die "BENCH_PIN=1 needs taskset (util-linux)"
	SERVER_PID=$(cat "${TRUST_TEST_NOTARY_PIDFILE:-$TRUST_TEST_STATE/notary-server.pid}" 2>/dev/null || true)
	[[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null ||
		peers_die "notary-server's pid not found (TRUST_TEST_NOTARY_PIDFILE)"
	SERVER_AFFINITY=$(taskset -p -c "$SERVER_PID" | sed 's/.*: //')
	taskset -a -p -c "$SERVER_CPUS" "$SERVER_PID" >/dev/null
	PIN=(taskset -c "$HOOK_CPUS")
	peers_log "pinned: notary-server (pid $SERVER_PID, all threads) on CPU $SERVER_CPUS (was $SERVER_AFFINITY);" \
		"the hook and the load generator on CPU $HOOK_CPUS"
}

unpin_server() {
	[[ -n $SERVER_PID && -n $SERVER_AFFINITY ]] || return 0
	taskset -a -p -c "$SERVER_AFFINITY" "$SERVER_PID" >/dev/null 2>&1 ||
		peers_log "could not restore notary-server's affinity ($SERVER_AFFINITY)"
	peers_log "notary-server (pid $SERVER_PID) back on CPUs $SERVER_AFFINITY"
	SERVER_PID=
}

trust_cmd() {
	DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		"$TRUST_BIN" --server "$TRUST_TEST_SERVER" --tlscacert "$TRUST_TEST_CA" \
		--trust-dir "$SETUP/signer" "$@"
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
	"${PIN[@]}" "$HOOK_BIN" serve --policy "$WORK/policy.json" --socket "$SOCKET" \
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

# load LABEL CONCURRENCY REQUESTS IMAGE...: one run of the load generator; its
# JSON line gets the CPU time the hook and notary-server spent per decision
# (a figure the other load on a shared machine changes less than latency).
load() {
	local label=$1 concurrency=$2 requests=$3
	shift 3
	local images=() i line server hook0 server0 tick
	for i in "$@"; do images+=(--image "$i"); done
	server=$(cat "${TRUST_TEST_NOTARY_PIDFILE:-$TRUST_TEST_STATE/notary-server.pid}" 2>/dev/null || echo 0)
	hook0=$(peers_cpu_ticks "$HOOK_PID") server0=$(peers_cpu_ticks "$server") tick=$(getconf CLK_TCK)
	line=$("${PIN[@]}" "$LOAD_BIN" --socket "$SOCKET" --label "$label" --concurrency "$concurrency" \
		--requests "$requests" --max-seconds "$MAX_SECONDS" --expect allow "${images[@]}") ||
		peers_die "$label at concurrency $concurrency had errors"
	jq -c --argjson hook "$(($(peers_cpu_ticks "$HOOK_PID") - hook0))" --argjson server "$(($(peers_cpu_ticks "$server") - server0))" \
		--argjson tick "$tick" '. + {hook_cpu_ms: (1000 * $hook / $tick / ([.ok, 1] | max)),
			server_cpu_ms: (1000 * $server / $tick / ([.ok, 1] | max))}' <<<"$line" >>"$WORK/results.jsonl"
}

# prime REQUESTS IMAGE...: decisions whose results are not recorded.
prime() {
	local requests=$1 images=() i
	shift
	for i in "$@"; do images+=(--image "$i"); done
	"${PIN[@]}" "$LOAD_BIN" --socket "$SOCKET" --label prime --concurrency 32 --requests "$requests" \
		--max-seconds "$MAX_SECONDS" --expect allow "${images[@]}" >/dev/null 2>&1 || peers_die "priming had errors"
}

# selected CASE: whether BENCH_CASES has CASE.
selected() { [[ " $CASES " == *" $1 "* ]]; }

main() {
	local c r new=() i
	peers_log "work dir $WORK"
	build
	jq -n --arg scope "$GUN_PREFIX/*" --arg server "$TRUST_TEST_SERVER" \
		'{"content-trust": {mode: "enforced", scopes: {($scope): {tofu: true, server: $server}}}}' \
		>"$WORK/policy.json"
	sign_repos
	for ((i = 1; i <= NEW_REPOS; i++)); do new+=("$GUN_PREFIX/new-$i:v1"); done
	pin
	: >"$WORK/results.jsonl"

	if selected warm; then
		start_hook 60 "$WORK/trust-warm"
		prime 1 "$GUN_PREFIX/app:v1"
		for c in 1 32; do
			for ((r = 1; r <= REPEAT; r++)); do load warm "$c" "$WARM_REQUESTS" "$GUN_PREFIX/app:v1"; done
		done
	fi

	if selected cold-ttl0; then
		start_hook 0 "$WORK/trust-warm" # the cache off; the trust data on disk stays
		for c in 1 32; do
			for ((r = 1; r <= REPEAT; r++)); do load cold-ttl0 "$c" "$COLD_REQUESTS" "$GUN_PREFIX/app:v1"; done
		done
	fi

	if selected cold-new; then
		for c in 1 32; do
			for ((r = 1; r <= REPEAT; r++)); do
				start_hook 60 "$WORK/trust-new-$c-$r" # nothing known: every repository is new
				load cold-new "$c" "$NEW_REPOS" "${new[@]}"
			done
		done
	fi

	if selected cold-ttl0-n; then
		local primed=1
		[[ -d $WORK/trust-new-1-1 ]] || primed=0 # cold-new did not run
		start_hook 0 "$WORK/trust-new-1-1" # the cache off, trust data on disk, many repositories
		((primed)) || prime "$NEW_REPOS" "${new[@]}"
		for c in 1 32; do
			for ((r = 1; r <= REPEAT; r++)); do load cold-ttl0-n "$c" "$COLD_REQUESTS" "${new[@]}"; done
		done
	fi
	stop_hook
	unpin_server
	report
}

# report: the table, and each aim met or missed.
report() {
	local missed
	echo
	printf '%-11s %5s %8s %12s %9s %9s %9s %9s %10s %10s\n' case conc requests 'decisions/s' 'p50 ms' 'p90 ms' \
		'p99 ms' 'max ms' 'hook cpu' 'server cpu'
	jq -r '[.label, .concurrency, .ok, .per_second, .p50_ms, .p90_ms, .p99_ms, .max_ms, .hook_cpu_ms, .server_cpu_ms]
		| @tsv' "$WORK/results.jsonl" |
		while IFS=$'\t' read -r l c n r p50 p90 p99 max hook server; do
			printf '%-11s %5s %8s %12.1f %9.3f %9.3f %9.3f %9.3f %10.3f %10.3f\n' "$l" "$c" "$n" "$r" "$p50" "$p90" "$p99" \
				"$max" "$hook" "$server"
		done
	echo "(hook cpu, server cpu: CPU ms per decision of the hook and of notary-server, from /proc; clock ticks)"
	echo "(the hook's trust dirs: $WORK, on $(df --output=fstype "$WORK" | tail -n 1); nproc $(nproc))"
	if ((REPEAT > 1)); then
		echo
		echo "p99 over $REPEAT runs (ms): best, median"
		jq -rs 'group_by([.label, .concurrency])[] | (map(.p99_ms) | sort) as $p
			| [.[0].label, .[0].concurrency, $p[0], $p[(($p | length) - 1) / 2 | floor]] | @tsv' "$WORK/results.jsonl" |
			while IFS=$'\t' read -r l c best median; do
				printf '%-11s %5s %9.3f %9.3f\n' "$l" "$c" "$best" "$median"
			done
	fi
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
