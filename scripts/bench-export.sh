#!/usr/bin/env bash
# Times `trust export` of R repositories of T tags each (default 100 x 100) on the
# loopback notary-server: to a directory, to a .tar.gz, and a second run on the
# complete bundle (every repository kept: one timestamp request each), then an
# interrupted export (killed once some repositories are staged) resumed.
# The repositories are made once with `notary addhash` (all T tags in one publish
# per repository) and reused by later runs.
# Usage: scripts/bench-export.sh STATE_DIR [R] [T]
#   STATE_DIR: peers started with tests/peers/start.sh STATE_DIR
#   TRUST_BIN: the trust binary (default target/release/trust; cargo build --release)
#   PARALLEL:  trust export --parallel (default 4)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/tests/peers/lib.sh"

[[ $# -ge 1 && $# -le 3 ]] || peers_die "usage: $0 STATE_DIR [R] [T]"
peers_source_env "$1"
R=${2:-100}
T=${3:-100}
PARALLEL=${PARALLEL:-4}
TRUST_BIN=${TRUST_BIN:-$ROOT/target/release/trust}
[[ -x $TRUST_BIN ]] || peers_die "$TRUST_BIN missing: cargo build --release"
NAME=export-bench/r${R}x${T}-$(date +%Y%m%d)
WORK=$TRUST_TEST_STATE/bench-export-${R}x${T}
LIST=$WORK/repositories.txt
mkdir -p "$WORK"

trust_at() { # trust_at TRUST_DIR ARGS...
	local dir=$1
	shift
	DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		"$TRUST_BIN" --server "$TRUST_TEST_SERVER" --tlscacert "$TRUST_TEST_CA" --trust-dir "$dir" "$@"
}

# make_repo GUN I: a repository of T tags in targets (made-up digests), staged with
# `notary addhash` and published once, as scripts/bench-vs-notary.sh makes its own.
make_repo() {
	local gun=$1 i=$2 t dir=$WORK/author/$2
	notary_cmd "$dir" init "$gun" >/dev/null
	for ((t = 1; t <= T; t++)); do
		notary_cmd "$dir" addhash "$gun" "tag$t" "$((1000 + t))" --sha256 "$(fixed_sha256 "$gun:tag$t")" >/dev/null
	done
	notary_cmd "$dir" publish "$gun" >/dev/null
	rm -rf "$dir"
}

# populate: R repositories of T tags (two made at a time), unless an earlier run
# made them (it left the marker file) and the server still has them (a restarted
# notary-server on memory storage has none).
populate() {
	local i gun
	: >"$LIST"
	for ((i = 1; i <= R; i++)); do printf '%s\n' "$TRUST_TEST_REGISTRY/$NAME/repo$i" >>"$LIST"; done
	if [[ -f $WORK/populated ]] && curl -sf -o /dev/null --cacert "$TRUST_TEST_CA" \
		"$TRUST_TEST_SERVER/v2/$TRUST_TEST_REGISTRY/$NAME/repo$R/_trust/tuf/timestamp.json"; then
		return
	fi
	rm -f "$WORK/populated"
	peers_log "making $R repositories of $T tags (notary addhash, one publish each)"
	for ((i = 1; i <= R; i++)); do
		gun=$TRUST_TEST_REGISTRY/$NAME/repo$i
		make_repo "$gun" "$i" &
		if (($(jobs -rp | wc -l) >= 2)); then wait -n; fi
	done
	wait
	touch "$WORK/populated"
	peers_log "$R repositories of $T tags: $LIST"
}

# timed LABEL CMD...: runs CMD, prints its wall time in seconds.
timed() {
	local label=$1 start end
	shift
	start=$(date +%s.%N)
	"$@"
	end=$(date +%s.%N)
	printf '%-34s %8.2f s\n' "$label" "$(echo "$end - $start" | bc)" >>"$WORK/results.txt"
}

export_to() { # export_to TRUST_DIR BUNDLE
	trust_at "$1" export --from-file "$LIST" --parallel "$PARALLEL" --output "$2" >>"$WORK/export.log"
}

main() {
	populate
	rm -rf "$WORK/out" && mkdir -p "$WORK/out"
	: >"$WORK/results.txt"
	: >"$WORK/export.log"
	timed "export to a directory (cold)" export_to "$WORK/out/trust-dir" "$WORK/out/bundle"
	timed "export to a .tar.gz (warm cache)" export_to "$WORK/out/trust-dir" "$WORK/out/bundle.tar.gz"
	timed "export to a .tar.gz (cold)" export_to "$WORK/out/trust-dir-2" "$WORK/out/bundle-2.tar.gz"
	timed "second run, directory (all kept)" export_to "$WORK/out/trust-dir" "$WORK/out/bundle"
	timed "second run, .tar.gz (all kept)" export_to "$WORK/out/trust-dir" "$WORK/out/bundle.tar.gz"
	# An interrupted export: killed once a quarter of the repositories are staged,
	# then run again to the same output.
	local partial=$WORK/out/resumed.partial pid staged=0 quarter=$(((R + 3) / 4))
	# The running export renames and removes its temporary directories while find
	# walks them: one vanishing under find is expected, not an error.
	count_staged() { if [[ -d $partial ]]; then { find "$partial" -name entry.json 2>/dev/null || true; } | wc -l; else echo 0; fi; }
	# (The binary itself in the background, so that $! is its pid.)
	DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=$TRUST_TEST_PASSPHRASE "$TRUST_BIN" --server "$TRUST_TEST_SERVER" \
		--tlscacert "$TRUST_TEST_CA" --trust-dir "$WORK/out/trust-dir-3" export --from-file "$LIST" \
		--parallel "$PARALLEL" --output "$WORK/out/resumed" >>"$WORK/export.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null && ((staged < quarter)); do
		staged=$(count_staged)
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	staged=$(count_staged)
	timed "resumed after a kill ($staged staged)" export_to "$WORK/out/trust-dir-3" "$WORK/out/resumed"
	[[ ! -e $partial ]] || peers_die "the staging directory $partial is left after the resumed run"
	{
		printf '\nbundle sizes:\n'
		printf '  directory: %s bytes in %s files\n' "$(find "$WORK/out/bundle" -type f -printf '%s\n' | paste -sd+ | bc)" \
			"$(find "$WORK/out/bundle" -type f | wc -l)"
		printf '  .tar.gz:   %s bytes\n' "$(stat -c %s "$WORK/out/bundle.tar.gz")"
		printf '\nsummaries (last lines of each run):\n'
		sed 's/^/  /' "$WORK/export.log"
	} >>"$WORK/results.txt"
	printf '%s repositories x %s tags, --parallel %s, %s\n' "$R" "$T" "$PARALLEL" "$TRUST_BIN"
	cat "$WORK/results.txt"
}

main
