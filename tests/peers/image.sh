#!/usr/bin/env bash
# Builds a tiny image without network and pushes it, unsigned, to the test
# registry: one layer with Debian's static /bin/busybox and /seed (SEED), so
# every SEED gives other layer, config and manifest digests. The engine's
# import time is in the config, so even the same SEED gives a new manifest
# digest on every run.
# Usage: tests/peers/image.sh STATE_DIR NAME:TAG [SEED]
#   NAME is the repository without the registry (e.g. smoke/app); the image is
#   $TRUST_TEST_REGISTRY/NAME:TAG. SEED defaults to NAME:TAG.
# Prints "sha256:<hex> <size>" (manifest digest and length, as the registry
# serves them) on stdout. Needs start.sh and dockerd.sh start for STATE_DIR;
# needs busybox-static. The image stays in the engine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 || $# -eq 3 ]] || peers_die "usage: $0 STATE_DIR NAME:TAG [SEED]"
[[ -f $1/env ]] || peers_die "$1/env missing: run tests/peers/start.sh $1 first"
# shellcheck source=/dev/null
source "$1/env"
peers_need_env
peers_need_engine
[[ $2 =~ ^([a-z0-9][a-z0-9._/-]*):([A-Za-z0-9_][A-Za-z0-9_.-]*)$ ]] ||
	peers_die "bad NAME:TAG '$2' (NAME without registry, e.g. smoke/app:v1)"
NAME=${BASH_REMATCH[1]}
TAG=${BASH_REMATCH[2]}
SEED=${3:-$2}
IMAGE=$TRUST_TEST_REGISTRY/$NAME:$TAG
BUSYBOX=/bin/busybox
MANIFEST_V2=application/vnd.docker.distribution.manifest.v2+json

# rootfs_tar OUT: a reproducible tar of the rootfs (fixed owner and mtime).
rootfs_tar() {
	local out=$1 root
	[[ $(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null) == *" installed" ]] ||
		peers_die "busybox-static is not installed: apt-get install busybox-static"
	root=$(mktemp -d "$TRUST_TEST_STATE/image-root.XXXXXX")
	mkdir -p "$root/bin"
	cp "$BUSYBOX" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	ln -s busybox "$root/bin/true"
	printf '%s\n' "$SEED" >"$root/seed"
	tar -C "$root" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		-cf "$out" .
	rm -rf "$root"
}

# push_image: docker push without content trust; prints its output.
push_image() {
	local config
	config=$(peers_docker_config "$TRUST_TEST_STATE/image-docker")
	DOCKER_CONFIG=$config engine_docker push "$IMAGE" 2>&1 || {
		peers_tail "$TRUST_TEST_DOCKERD_LOG"
		peers_die "docker push $IMAGE failed"
	}
}

# registry_manifest: "digest size" of NAME:TAG as the registry serves it.
registry_manifest() {
	curl -fsS --max-time 10 -I -H "Accept: $MANIFEST_V2" \
		"$TRUST_TEST_REGISTRY_URL/v2/$NAME/manifests/$TAG" | tr -d '\r' |
		awk -F': ' 'tolower($1) == "docker-content-digest" {d = $2}
			tolower($1) == "content-length" {n = $2}
			END {if (d == "" || n == "") exit 1; print d, n}'
}

main() {
	local tar out pushed registry
	tar=$(mktemp "$TRUST_TEST_STATE/image.XXXXXX.tar")
	rootfs_tar "$tar"
	engine_docker import --change 'CMD ["/bin/busybox","true"]' \
		--message "trust test image, seed $SEED" "$tar" "$IMAGE" >/dev/null ||
		peers_die "docker import $IMAGE failed"
	rm -f "$tar"
	out=$(push_image)
	# the last line of a push: "<tag>: digest: sha256:<hex> size: <n>"
	pushed=$(sed -n "s/^${TAG//./\\.}: digest: \(sha256:[0-9a-f]\{64\}\) size: \([0-9]\+\)$/\1 \2/p" <<<"$out")
	registry=$(registry_manifest) || peers_die "registry has no manifest for $IMAGE"
	[[ $pushed == "$registry" ]] ||
		peers_die "docker push said '$pushed', the registry serves '$registry'; push output: $out"
	peers_log "pushed $IMAGE ($registry, seed $SEED), unsigned"
	echo "$registry"
}

main
