#!/usr/bin/env bash
# Runs the benchmark scripts once each on small sizes with the debug `trust`
# binary, so that CI notices a script that no longer works. It fails when a
# script fails, never on timings (the figures printed mean nothing on a debug
# build):
#   bench-vs-notary.sh 20          (hyperfine: 1 warmup, 3 runs)
#   bench-sign.sh 20
#   bench-registry-store.sh 20     (hyperfine: 1 warmup, 3 runs; one sign run)
#   bench-export.sh 4 5            (4 repositories of 5 tags)
#   bench-hook.sh                  (debug hook and load generator, built here:
#                                   20 new repositories, 100 cold, 2,000 warm requests)
#   bench-tuf.sh 200               (trust tuf vs python-tuf; no peers: its own server)
# Left out, as they build release binaries of their own: bench-bindings.sh,
# bench-fips.sh.
# Usage: scripts/bench-smoke.sh STATE_DIR
#   STATE_DIR: peers started with tests/peers/start.sh STATE_DIR
#   TRUST_BIN: the trust binary (default ${CARGO_TARGET_DIR:-target}/debug/trust;
#              cargo build -p trust-cli)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/tests/peers/lib.sh"

[[ $# -eq 1 ]] || peers_die "usage: $0 STATE_DIR"
STATE_DIR=$1
TRUST_BIN=${TRUST_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/trust}
[[ -x $TRUST_BIN ]] || peers_die "$TRUST_BIN missing: cargo build -p trust-cli"
export TRUST_BIN
QUICK="--warmup 1 --runs 3"
FAILED=()

# smoke NAME ENV... -- ARGS...: scripts/NAME STATE_DIR ARGS... with ENV set; a
# failure is recorded and the next script still runs.
smoke() {
	local name=$1 start rc=0 vars=()
	shift
	while [[ $1 != -- ]]; do vars+=("$1") && shift; done
	shift
	peers_log "bench-smoke: $name $*"
	start=$SECONDS
	env "${vars[@]}" bash "$ROOT/scripts/$name" "$STATE_DIR" "$@" || rc=$?
	peers_log "bench-smoke: $name exit $rc after $((SECONDS - start)) s"
	((rc == 0)) || FAILED+=("$name (exit $rc)")
}

smoke bench-vs-notary.sh "HYPERFINE_ARGS=$QUICK" -- 20
smoke bench-sign.sh -- 20
smoke bench-registry-store.sh "HYPERFINE_ARGS=$QUICK" SIGN_RUNS=1 -- 20
smoke bench-export.sh -- 4 5
# The load generator is an example: `cargo test --examples` builds it only as a test.
# --workspace: the features `cargo test --workspace` resolved (an example brings in
# the dev-dependencies'), so only the example itself is compiled.
(cd "$ROOT" && cargo build --quiet --workspace --bin trust-engine-hook --example authz_load) ||
	FAILED+=("cargo build of the hook's load generator")
smoke bench-hook.sh BENCH_PROFILE=debug BENCH_BUILD=0 BENCH_NEW_REPOS=20 BENCH_COLD_REQUESTS=100 \
	BENCH_WARM_REQUESTS=2000 --
# Needs no peers: its own python-tuf repository and HTTP server (TUF_VENV: reuse a venv).
peers_log "bench-smoke: bench-tuf.sh 200"
env "HYPERFINE=$QUICK" bash "$ROOT/scripts/bench-tuf.sh" 200 || FAILED+=("bench-tuf.sh")

((${#FAILED[@]} == 0)) || peers_die "benchmark scripts failed: ${FAILED[*]}"
peers_log "bench-smoke: every benchmark script ran ($TRUST_BIN)"
