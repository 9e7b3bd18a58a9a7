#!/usr/bin/env bash
# Times signing N tags with `trust` against the notary CLI on one loopback
# notary-server, each in a fresh repository initialised beforehand (untimed):
#   trust sign IMAGE:tag1 ... IMAGE:tagN         one invocation, digests from the registry
#   trust sign --digests FILE IMAGE              one invocation, digests from FILE
#                                                (lines of "tagI sha256:<hex> SIZE")
#   notary addhash GUN tagI SIZE --sha256 ... ×N,  then one notary publish
# The registry serves the N tags cheaply: one small image manifest (an empty
# tar layer) PUT under every tag through the registry's HTTP API.
# Usage: scripts/bench-sign.sh STATE_DIR [N]     (default N=1000)
#   STATE_DIR: peers started with tests/peers/start.sh STATE_DIR
#   TRUST_BIN: the trust binary (default target/release/trust; build it with
#              cargo build --release; target/debug/trust works for small N)
#   BENCH_NOTARY=0: skip the notary side (its ×N addhash takes minutes for N=10000)
# Prints the wall times (date +%s.%N around each side), notary/trust for both
# trust modes, and nproc; checks that every repository lists its N tags. For the
# lookups from the registry it also prints the CPU time trust and docker-registry
# (from /proc) spent: the registry's CPU over nproc is the least any client can
# take for those N manifest GETs on this machine.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/tests/peers/lib.sh"

[[ $# -ge 1 && $# -le 2 ]] || peers_die "usage: $0 STATE_DIR [N]"
peers_source_env "$1"
N=${2:-1000}
[[ $N =~ ^[1-9][0-9]*$ ]] || peers_die "N must be a positive number, not '$N'"
TRUST_BIN=${TRUST_BIN:-$ROOT/target/release/trust}
[[ -x $TRUST_BIN ]] || peers_die "$TRUST_BIN missing: cargo build --release"
RUN=$(date +%s)-$$
NAME=bench/sign-$N-$RUN # registry repository (and trust's GUN)
GUN=$TRUST_TEST_REGISTRY/$NAME
NOTARY_GUN=$TRUST_TEST_REGISTRY/bench/notary-sign-$N-$RUN
DIGESTS_GUN=$TRUST_TEST_REGISTRY/bench/digests-sign-$N-$RUN # trust sign --digests (nothing in the registry)
BENCH_NOTARY=${BENCH_NOTARY:-1}
WORK=$TRUST_TEST_STATE/bench-sign-$N
MANIFEST_V2=application/vnd.docker.distribution.manifest.v2+json
REGISTRY_PID=$(cat "$TRUST_TEST_STATE/registry.pid" 2>/dev/null || echo 0)
REGISTRY=$TRUST_TEST_REGISTRY_URL/v2/$NAME

TRUST_ENV=(env "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=$TRUST_TEST_PASSPHRASE"
	"DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=$TRUST_TEST_PASSPHRASE")
TRUST_CMD=("$TRUST_BIN" --server "$TRUST_TEST_SERVER" --tlscacert "$TRUST_TEST_CA" --trust-dir "$WORK/trust")
trust_cmd() { "${TRUST_ENV[@]}" "${TRUST_CMD[@]}" "$@"; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# push_blob FILE: a monolithic upload (POST for a location, PUT the bytes).
push_blob() {
	local location sep
	location=$(curl -fsS -X POST -o /dev/null -D - "$REGISTRY/blobs/uploads/" | tr -d '\r' |
		awk -F': ' 'tolower($1) == "location" {print $2}')
	[[ -n $location ]] || peers_die "no upload location from $REGISTRY/blobs/uploads/"
	sep='?'
	[[ $location == *'?'* ]] && sep='&'
	curl -fsS -X PUT -o /dev/null -H 'Content-Type: application/octet-stream' \
		--data-binary "@$1" "$location${sep}digest=sha256:$(sha256_of "$1")"
}

# push_tags: one manifest under tag1..tagN; sets DIGEST (hex) and SIZE.
push_tags() {
	local i urls=()
	head -c 1024 /dev/zero >"$WORK/layer" # an empty tar archive
	printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$(sha256_of "$WORK/layer")" >"$WORK/config"
	push_blob "$WORK/layer"
	push_blob "$WORK/config"
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar","size":1024,"digest":"sha256:%s"}]}' \
		"$MANIFEST_V2" "$(stat -c %s "$WORK/config")" "$(sha256_of "$WORK/config")" "$(sha256_of "$WORK/layer")" \
		>"$WORK/manifest"
	for ((i = 0; i <= N; i++)); do urls+=("$REGISTRY/manifests/tag$i"); done
	curl -fsS --no-progress-meter --parallel --parallel-max 16 -X PUT -H "Content-Type: $MANIFEST_V2" \
		--data-binary "@$WORK/manifest" "${urls[@]}" >/dev/null
	DIGEST=$(sha256_of "$WORK/manifest")
	SIZE=$(stat -c %s "$WORK/manifest")
}

# count_tags GUN: the number of targets `notary list` shows (a fresh client).
count_tags() {
	notary_cmd "$WORK/check-$RANDOM" list "$1" | awk 'NR > 2 && NF == 4' | wc -l
}

now() { date +%s.%N; }

# since START: seconds elapsed from START (a `now`) until now.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}'; }

# ratio A B: A / B with one decimal and an x.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a / b}'; }

main() {
	local i start trust_s trust_cpu_s registry0 registry_s digests_s notary_s='' images=()
	rm -rf "$WORK"
	mkdir -p "$WORK"
	peers_log "pushing one manifest under $((N + 1)) tags of $GUN"
	push_tags
	for ((i = 1; i <= N; i++)); do echo "tag$i sha256:$DIGEST $SIZE"; done >"$WORK/digests"

	# Every repository exists before the clock starts: trust signs tag0 (which
	# initialises its repository), notary inits and publishes.
	trust_cmd sign "$GUN:tag0" >/dev/null
	trust_cmd sign --digest "sha256:$DIGEST" --size "$SIZE" "$DIGESTS_GUN:tag0" >/dev/null
	if ((BENCH_NOTARY)); then
		notary_cmd "$WORK/notary" init "$NOTARY_GUN" >/dev/null
		notary_cmd "$WORK/notary" publish "$NOTARY_GUN" >/dev/null
	fi

	for ((i = 1; i <= N; i++)); do images+=("$GUN:tag$i"); done
	peers_log "trust sign of $N tags in one invocation (digests from the registry)"
	registry0=$(peers_cpu_ticks "$REGISTRY_PID")
	start=$(now)
	/usr/bin/time -f '%U %S' -o "$WORK/trust-sign.cpu" "${TRUST_ENV[@]}" "${TRUST_CMD[@]}" sign "${images[@]}" \
		>"$WORK/trust-sign.out"
	trust_s=$(since "$start")
	registry_s=$(awk -v t="$(($(peers_cpu_ticks "$REGISTRY_PID") - registry0))" -v hz="$(getconf CLK_TCK)" \
		'BEGIN {printf "%.3f", t / hz}')
	trust_cpu_s=$(awk '{printf "%.3f", $1 + $2}' "$WORK/trust-sign.cpu")

	peers_log "trust sign --digests FILE of $N tags"
	start=$(now)
	trust_cmd sign --digests "$WORK/digests" "$DIGESTS_GUN" >"$WORK/trust-sign-digests.out"
	digests_s=$(since "$start")

	if ((BENCH_NOTARY)); then
		peers_log "notary addhash x $N + notary publish"
		start=$(now)
		for ((i = 1; i <= N; i++)); do
			notary_cmd "$WORK/notary" addhash "$NOTARY_GUN" "tag$i" "$SIZE" --sha256 "$DIGEST" >/dev/null
		done
		notary_cmd "$WORK/notary" publish "$NOTARY_GUN" >/dev/null
		notary_s=$(since "$start")
		(($(count_tags "$NOTARY_GUN") == N)) || peers_die "notary list $NOTARY_GUN does not show $N tags"
	fi

	(($(count_tags "$GUN") == N + 1)) || peers_die "notary list $GUN does not show $((N + 1)) tags"
	(($(count_tags "$DIGESTS_GUN") == N + 1)) || peers_die "notary list $DIGESTS_GUN does not show $((N + 1)) tags"
	printf '\n%-44s %10s\n' "signing $N tags (one publish), nproc $(nproc)" "seconds"
	printf '%-44s %10.3f\n' "trust sign IMAGE:TAG x $N (registry)" "$trust_s"
	printf '%-44s %10.3f\n' "  CPU: trust" "$trust_cpu_s"
	printf '%-44s %10.3f\n' "  CPU: docker-registry ($N manifest GETs)" "$registry_s"
	printf '%-44s %10.3f\n' "  the floor: docker-registry CPU / nproc" \
		"$(awk -v r="$registry_s" -v n="$(nproc)" 'BEGIN {print r / n}')"
	printf '%-44s %10.3f\n' "trust sign --digests FILE IMAGE" "$digests_s"
	if [[ -n $notary_s ]]; then
		printf '%-44s %10.3f\n' "notary addhash x $N + publish" "$notary_s"
		printf '%-44s %10s\n' "notary / trust sign (registry)" "$(ratio "$notary_s" "$trust_s")"
		printf '%-44s %10s\n' "notary / trust sign --digests" "$(ratio "$notary_s" "$digests_s")"
	fi
	peers_log "repositories $GUN, $DIGESTS_GUN${notary_s:+ and $NOTARY_GUN}; outputs in $WORK"
}

main
