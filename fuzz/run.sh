#!/usr/bin/env bash
# Builds every fuzz target and runs each for a bounded time on its corpus.
#
#   fuzz/run.sh                  # every target, 60 s each (CI)
#   fuzz/run.sh 300 key_file     # one target, 5 minutes
#   fuzz/run.sh 3600 tuf_update  # a long campaign (see fuzz/README.md)
#
# Each target runs on a temporary copy of fuzz/corpus/<target>/ plus
# fuzz/regressions/<target>/ (so the repository stays clean), with libFuzzer's
# limits: -max_total_time, -rss_limit_mb=2048, -malloc_limit_mb=256 (one
# allocation larger than that is a crash: no parser may allocate by a size
# field it read), -timeout=10 (an input that takes longer is a crash). Exits
# non-zero if any target crashed, leaked, timed out or ran out of memory; the
# input is kept in fuzz/artifacts/<target>/.
#
# Environment:
#   FUZZ_JOBS=N        run N fuzzing processes per target in parallel (libFuzzer
#                      -fork=N; use at most the number of cores)
#   FUZZ_PARALLEL=N    fuzz N targets at a time (default 1; times FUZZ_JOBS, at
#                      most the number of cores)
#   FUZZ_WORK_DIR=DIR  keep the working corpora in DIR/<target> (reused by the
#                      next run) instead of a temporary directory
#   FUZZ_ARGS="..."    extra libFuzzer flags, e.g. "-max_len=65536"
#   FUZZ_SANITIZER=... address (default) or none
#
# Needs only the stable toolchain: cargo-fuzz needs nightly flags (-Z sanitizer,
# -Z build-std is not used), which RUSTC_BOOTSTRAP=1 allows on stable. cargo-fuzz
# itself is installed (pinned) when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CARGO_FUZZ_VERSION=0.13.2
ALL_TARGETS=(canonical_json tuf_update tuf1_update key_file x509_root reference manifest authz_request policy bundle)

SECONDS_PER_TARGET=60
if (($#)) && [[ $1 =~ ^[0-9]+$ ]]; then
	SECONDS_PER_TARGET=$1
	shift
fi
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
	[[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || {
		echo "unknown fuzz target $t (known: ${ALL_TARGETS[*]})" >&2
		exit 2
	}
done

if ! command -v cargo >/dev/null && [[ -f $HOME/.cargo/env ]]; then
	# shellcheck source=/dev/null
	source "$HOME/.cargo/env"
fi
if [[ $(cargo fuzz --version 2>/dev/null) != *" $CARGO_FUZZ_VERSION" ]]; then
	# A debug build: cargo-fuzz only sets flags and runs cargo, so its speed does
	# not matter, and this build takes about a third of the CPU of a release one.
	echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
	cargo install cargo-fuzz --locked --debug --version "$CARGO_FUZZ_VERSION"
fi

export RUSTC_BOOTSTRAP=1
SANITIZER=${FUZZ_SANITIZER:-address}
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')

echo "== building ${#ALL_TARGETS[@]} fuzz targets (sanitizer: $SANITIZER, $(rustc --version))"
build_start=$(date +%s)
cargo fuzz build --sanitizer "$SANITIZER"
echo "== build took $(($(date +%s) - build_start)) s"
# FUZZ_BUILD_ONLY=1: build (and install cargo-fuzz) now, fuzz in a later run.
[[ ${FUZZ_BUILD_ONLY:-} != 1 ]] || exit 0

if [[ -n ${FUZZ_WORK_DIR:-} ]]; then
	WORK=$FUZZ_WORK_DIR
	mkdir -p "$WORK"
else
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/trust-fuzz.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
fi

# run_target T: fuzzes T on its own copy of the corpus; writes its summary line
# to $WORK/T.line and, on a failure, its log's last lines to $WORK/T.failure.
run_target() {
	local t=$1 corpus=$WORK/$1 log=$WORK/$1.log rc runs speed cov line
	mkdir -p "$corpus" "artifacts/$t"
	for seeds in "corpus/$t" "regressions/$t"; do
		if [[ -d $seeds ]] && compgen -G "$seeds/*" >/dev/null; then
			cp "$seeds"/* "$corpus"/ # named by content: an existing file is the same
		fi
	done
	local args=(
		"-max_total_time=$SECONDS_PER_TARGET"
		-rss_limit_mb=2048
		-malloc_limit_mb=256
		-timeout=10
		-print_final_stats=1
		"-artifact_prefix=artifacts/$t/"
	)
	if [[ -n ${FUZZ_JOBS:-} ]]; then
		args+=("-fork=$FUZZ_JOBS" -ignore_crashes=0 -ignore_timeouts=0 -ignore_ooms=0)
	fi
	[[ -f dict/$t.dict ]] && args+=("-dict=dict/$t.dict")
	# shellcheck disable=SC2206
	args+=(${FUZZ_ARGS:-})
	echo "== $t: ${SECONDS_PER_TARGET} s on $(find "$corpus" -type f | wc -l) inputs"
	set +e
	"target/$TRIPLE/release/$t" "${args[@]}" "$corpus" >"$log" 2>&1
	rc=$?
	set -e
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n1 || true)
	line=$(printf '%-14s %10s runs %7s exec/s  %s' "$t" "${runs:-?}" "${speed:-?}" "${cov:-no coverage line}")
	if ((rc != 0)); then
		line+="  FAILED (exit $rc)"
		{
			echo "-- last lines of $log:"
			tail -n 60 "$log"
			echo "-- reproducer(s) in fuzz/artifacts/$t/:"
			ls -l "artifacts/$t"
		} >"$WORK/$t.failure"
	fi
	echo "$line" >"$WORK/$t.line"
	echo "$line"
}

# FUZZ_PARALLEL targets at a time (each is one process on one core; CI runs two).
PARALLEL=${FUZZ_PARALLEL:-1}
[[ $PARALLEL =~ ^[1-9][0-9]*$ ]] || {
	echo "FUZZ_PARALLEL must be a positive number, got '$PARALLEL'" >&2
	exit 2
}
running=0
for t in "${TARGETS[@]}"; do
	run_target "$t" &
	running=$((running + 1))
	if ((running >= PARALLEL)); then
		wait -n || true
		running=$((running - 1))
	fi
done
wait

failed=()
summary=()
for t in "${TARGETS[@]}"; do
	if [[ -f $WORK/$t.failure ]]; then
		failed+=("$t")
		cat "$WORK/$t.failure"
	fi
	summary+=("$(cat "$WORK/$t.line" 2>/dev/null || echo "$t: no result (the run did not finish)")")
	[[ -f $WORK/$t.line ]] || failed+=("$t")
done

echo
echo "== summary (${SECONDS_PER_TARGET} s per target)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
	echo
	echo "FAILED: ${failed[*]}"
	echo "Reproduce with: fuzz/target/$TRIPLE/release/<target> fuzz/artifacts/<target>/<file>"
	echo "Then keep the input in fuzz/regressions/<target>/ and add a unit test in the crate it broke."
	exit 1
fi
echo "no crash"
