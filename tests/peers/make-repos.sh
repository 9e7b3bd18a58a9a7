#!/usr/bin/env bash
# Builds the interop repositories on the running notary-server with the real
# notary and docker CLIs, records what docker and notary print for each, and
# writes the manifest STATE/repos.json (schema in tests/peers/README.md).
# Usage: tests/peers/make-repos.sh STATE_DIR   (after start.sh STATE_DIR)
# Re-runnable: it deletes its GUNs on the server and STATE/repos first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || peers_die "usage: $0 STATE_DIR"
[[ -f $1/env ]] || peers_die "$1/env missing: run tests/peers/start.sh $1 first"
# shellcheck source=/dev/null
source "$1/env"
WORK=$TRUST_TEST_STATE/repos
CASES=(notary-plain docker-signers empty rotated missing)

gun() { echo "$TRUST_TEST_REGISTRY/interop/$1"; }
case_dir() { echo "$WORK/$1"; }
# The client trust dir that made the case: notary's -d, or $DOCKER_CONFIG/trust
# for docker-made repos (same layout, so notary uses it too).
trust_dir() { echo "$WORK/$1/docker/trust"; }
docker_dir() { echo "$WORK/$1/docker"; }

# run CASE notary|docker ARGS...: runs `notary ARGS` or `docker trust ARGS` as the
# case's author (stdin passed through), records the command in CASE/steps
# (state dir written as $STATE) and its output in CASE/log.
run() {
	local c=$1 kind=$2 dir
	shift 2
	dir=$(case_dir "$c")
	printf '%s %s\n' "${kind/docker/docker trust}" "${*//$TRUST_TEST_STATE/\$STATE}" >>"$dir/steps"
	{
		case $kind in
		notary) notary_cmd "$(trust_dir "$c")" "$@" ;;
		docker) docker_trust "$(docker_dir "$c")" "$@" ;;
		esac
	} >>"$dir/log" 2>&1 || {
		cat "$dir/log" >&2
		peers_die "$c: '$kind $*' failed"
	}
}

# sign CASE ROLE TAG LENGTH [SEED]: `notary addhash` of a made-up target whose
# sha256 is that of SEED (default "interop/CASE/TAG"); recorded in CASE/targets.
sign() {
	local c=$1 role=$2 tag=$3 len=$4 digest
	digest=$(fixed_sha256 "${5:-interop/$c/$tag}")
	run "$c" notary addhash "$(gun "$c")" "$tag" "$len" --sha256 "$digest" -r "$role"
	jq -nc --arg role "$role" --arg tag "$tag" --arg d "$digest" --argjson len "$len" \
		'{role: $role, tag: $tag, sha256: $d, length: $len}' >>"$(case_dir "$c")/targets.jsonl"
}

notary_init() {
	run "$1" notary init "$(gun "$1")"
	run "$1" notary publish "$(gun "$1")"
}

make_notary_plain() {
	local c=notary-plain
	notary_init $c
	sign $c targets v1 1001
	sign $c targets v2 1002
	sign $c targets latest 1002 interop/$c/v2
	run $c notary publish "$(gun $c)"
}

make_docker_signers() {
	local c=docker-signers name keys
	keys=$(case_dir $c)/keys
	for name in alice bob; do
		mkdir -p "$keys/$name"
		run $c docker key generate "$name" --dir "$keys/$name"
		run $c docker signer add --key "$keys/$name/$name.pub" "$name" "$(gun $c)"
	done
	sign $c targets/releases v1 1001
	sign $c targets/alice v1 1001
	for name in releases alice bob; do sign $c "targets/$name" v2 1002; done
	sign $c targets/releases v10 1010
	sign $c targets/releases old 900 interop/$c/old-released
	sign $c targets old 800 interop/$c/old-admin
	run $c notary publish "$(gun $c)"
}

make_empty() {
	notary_init empty
}

make_rotated() {
	local c=rotated meta
	meta=$(trust_dir $c)/tuf/$(gun $c)/metadata
	notary_init $c
	sign $c targets v1 1001
	run $c notary publish "$(gun $c)"
	cp "$meta/root.json" "$(case_dir $c)/root-before-rotation.json"
	# a docker client that has cached the old root, for observe()
	docker_trust "$(peers_docker_config "$(case_dir $c)/stale-docker")" inspect "$(gun $c)" >/dev/null
	run $c notary key rotate "$(gun $c)" root <<<yes # it asks for confirmation
	run $c notary key rotate "$(gun $c)" targets
	(($(jq .signed.version "$meta/root.json") > 1)) || peers_die "$c: root was not rotated"
	sign $c targets v2 1002
	run $c notary publish "$(gun $c)"
}

make_missing() { :; }

# observe CASE: what fresh docker and notary clients print for the case
# (stdout byte-exact, stderr, exit code), kept under CASE/observed/.
observe() {
	local c=$1 out
	out=$(case_dir "$c")/observed
	mkdir -p "$out"
	peers_docker_config "$out/docker" >/dev/null
	capture_cmd "$out/docker-inspect" docker_trust "$out/docker" inspect "$(gun "$c")"
	capture_cmd "$out/docker-inspect-pretty" docker_trust "$out/docker" inspect --pretty "$(gun "$c")"
	capture_cmd "$out/notary-list" notary_cmd "$out/notary" list "$(gun "$c")"
	if [[ -d $out/../stale-docker ]]; then
		capture_cmd "$out/docker-inspect-stale" docker_trust "$out/../stale-docker" inspect "$(gun "$c")"
		cmp -s "$out/docker-inspect.out" "$out/docker-inspect-stale.out" ||
			peers_die "$c: docker with a cached old root prints something else"
	fi
}

# capture_cmd PREFIX CMD...: PREFIX.out, PREFIX.err, PREFIX.rc
capture_cmd() {
	local prefix=$1 rc=0
	shift
	"$@" >"$prefix.out" 2>"$prefix.err" || rc=$?
	echo "$rc" >"$prefix.rc"
}

# expected_rows: docker's released-tag rows computed from CASE/targets.jsonl
# (a tag+digest in targets or targets/releases is released; its signers are
# the other roles holding the same tag+digest, else "Repo Admin").
# shellcheck disable=SC2016 # jq, not shell
EXPECTED_ROWS='
	def natural: [scan("[0-9]+|[^0-9]+") | tonumber? // .];
	. as $all
	| [.[] | select(.role == "targets" or .role == "targets/releases")]
	| unique_by([.tag, .sha256])
	| map(. as $r | {tag, sha256, length, signers: (
		[$all[] | select(.tag == $r.tag and .sha256 == $r.sha256
			and .role != "targets" and .role != "targets/releases")
			| .role | ltrimstr("targets/")] | unique
		| if length == 0 then ["Repo Admin"] else . end)})
	| sort_by((.tag | natural), .sha256)'

# case_json CASE: the manifest entry of CASE, written to CASE/case.json.
case_json() {
	local c=$1 dir obs exists=true old_root=
	dir=$(case_dir "$c")
	obs=$dir/observed
	[[ $c == missing ]] && exists=false
	[[ -f $dir/root-before-rotation.json ]] && old_root=$dir/root-before-rotation.json
	jq -n --arg case "$c" --arg gun "$(gun "$c")" --argjson exists $exists \
		--arg dir "$dir" --arg trust_dir "$(trust_dir "$c")" --arg old_root "$old_root" \
		--slurpfile targets <(cat "$dir/targets.jsonl" 2>/dev/null) \
		--rawfile steps <(cat "$dir/steps" 2>/dev/null) \
		--rawfile pubkeys <(find "$dir/keys" -name '*.pub' 2>/dev/null | sort) \
		--slurpfile inspect <(jq . "$obs/docker-inspect.out" 2>/dev/null || echo null) \
		--rawfile inspect_err "$obs/docker-inspect.err" \
		--argjson inspect_rc "$(<"$obs/docker-inspect.rc")" \
		--rawfile pretty "$obs/docker-inspect-pretty.out" \
		--rawfile pretty_err "$obs/docker-inspect-pretty.err" \
		--argjson pretty_rc "$(<"$obs/docker-inspect-pretty.rc")" \
		--rawfile list "$obs/notary-list.out" --rawfile list_err "$obs/notary-list.err" \
		--argjson list_rc "$(<"$obs/notary-list.rc")" \
		"\$targets | ($EXPECTED_ROWS) as \$rows"' | ($inspect[0][0] // {}) as $i | {
			case: $case, gun: $gun, image: $gun, exists: $exists,
			made_by: ($steps | split("\n") | map(select(. != ""))),
			dir: $dir,
			trust_dir: (if $exists then $trust_dir else null end),
			public_keys: ($pubkeys | split("\n") | map(select(. != ""))),
			root_before_rotation: (if $old_root == "" then null else $old_root end),
			targets: $targets,
			tags: $rows,
			signers: [($i.Signers // [])[] | {name: .Name, keys: [.Keys[].ID]}],
			root_keys: [($i.AdministrativeKeys // [])[] | select(.Name == "Root") | .Keys[].ID],
			repository_keys: [($i.AdministrativeKeys // [])[] | select(.Name == "Repository") | .Keys[].ID],
			docker: {inspect: $inspect[0], inspect_exit_code: $inspect_rc, inspect_stderr: $inspect_err,
				inspect_pretty: $pretty, inspect_pretty_exit_code: $pretty_rc, inspect_pretty_stderr: $pretty_err},
			notary: {list: $list, list_exit_code: $list_rc, list_stderr: $list_err}
		}' >"$dir/case.json"
}

# check_against_docker CASE: the computed rows must be what docker printed.
check_against_docker() {
	local f ours docker
	f=$(case_dir "$1")/case.json
	ours=$(jq -c '[.tags[] | {tag, sha256, signers}] | sort' "$f")
	docker=$(jq -c '[(.docker.inspect[0].SignedTags // [])[]
		| {tag: .SignedTag, sha256: .Digest, signers: (.Signers | sort)}] | sort' "$f")
	[[ $ours == "$docker" ]] || peers_die "$1: docker shows $docker, expected $ours"
}

write_manifest() {
	local c files=()
	for c in "${CASES[@]}"; do
		case_json "$c"
		check_against_docker "$c"
		files+=("$(case_dir "$c")/case.json")
	done
	jq -n --arg server "$TRUST_TEST_SERVER" --arg registry "$TRUST_TEST_REGISTRY" \
		--arg ca "$TRUST_TEST_CA" --arg pass "$TRUST_TEST_PASSPHRASE" \
		--arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		'{server: $server, ca: $ca, registry: $registry, passphrase: $pass, created_at: $at,
		  repos: (reduce inputs as $c ({}; .[$c.case] = $c))}' \
		"${files[@]}" >"$TRUST_TEST_STATE/repos.json"
}

reset() {
	local c
	rm -rf "$WORK"
	for c in "${CASES[@]}"; do
		mkdir -p "$(case_dir "$c")"
		peers_docker_config "$(docker_dir "$c")" >/dev/null
		notary_cmd "$WORK/deleter" delete --remote "$(gun "$c")" >/dev/null
	done
	rm -rf "$WORK/deleter"
}

main() {
	local c start=$SECONDS
	reset
	for c in "${CASES[@]}"; do
		peers_log "making $(gun "$c")"
		"make_${c//-/_}" </dev/null
		observe "$c"
	done
	write_manifest
	peers_log "wrote $TRUST_TEST_STATE/repos.json in $((SECONDS - start))s"
}

main
