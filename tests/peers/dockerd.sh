#!/usr/bin/env bash
# A private Docker engine for the peer tests: Debian's dockerd (docker.io
# 20.10) with a containerd of its own, as root, on a unix socket under
# STATE_DIR. Nothing listens on TCP; no iptables rules, no bridge, no sysctl.
#
# Usage: tests/peers/dockerd.sh start STATE_DIR [DOCKERD_FLAG...]
#        tests/peers/dockerd.sh stop STATE_DIR
#        tests/peers/dockerd.sh status STATE_DIR
#
# start waits (PEERS_WAIT_SECONDS, default 30) until `docker info` answers,
# then writes STATE_DIR/dockerd.env and appends the same lines to
# STATE_DIR/env (TRUST_TEST_DOCKER_HOST, ...). Extra dockerd flags are the
# arguments after STATE_DIR, plus one --authorization-plugin=NAME for each
# name in TRUST_TEST_DOCKERD_AUTHZ_PLUGINS (comma-separated; unset: none).
# If the engine of STATE_DIR runs with the same flags, start only rewrites the
# env lines; with other flags it restarts the engine (images are kept).
# stop stops dockerd, any container left, containerd and its shims, unmounts
# whatever is mounted under STATE_DIR and removes the env lines. Images stay
# in STATE_DIR/docker-data (vfs: plain directories, rm -rf after stop).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { peers_die "usage: $0 start|stop|status STATE_DIR [DOCKERD_FLAG...]"; }
(($# >= 2)) || usage
CMD=$1
if [[ $CMD == start ]]; then mkdir -p "$2"; fi
if [[ ! -d $2 ]]; then
	[[ $CMD == stop ]] || peers_die "no such state dir: $2"
	exit 0 # nothing to stop
fi
STATE=$(cd "$2" && pwd)
shift 2
EXTRA_FLAGS=("$@")

SOCK=$STATE/docker.sock
PIDFILE=$STATE/dockerd.pid # written and removed by dockerd itself
LOG=$STATE/dockerd.log
FLAGSFILE=$STATE/dockerd.flags
CTD=$STATE/containerd
CTD_SOCK=$CTD/containerd.sock
CTD_PIDFILE=$STATE/containerd.pid
CTD_LOG=$STATE/containerd.log
ENV_LINES='^export TRUST_TEST_(DOCKER_HOST|DOCKERD_[A-Z_]+)='

# dockerd_flags: one flag a line. --containerd is what keeps dockerd off a
# system containerd: without it dockerd uses /run/containerd/containerd.sock
# whenever that exists, and only otherwise starts one of its own.
dockerd_flags() {
	local name plugins
	printf '%s\n' --config-file="$STATE/daemon.json" \
		--host="unix://$SOCK" --containerd="$CTD_SOCK" \
		--data-root="$STATE/docker-data" --exec-root="$STATE/docker-exec" \
		--pidfile="$PIDFILE" --storage-driver=vfs \
		--iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		--bridge=none --userland-proxy=false --shutdown-timeout=3
	IFS=, read -ra plugins <<<"${TRUST_TEST_DOCKERD_AUTHZ_PLUGINS:-}"
	for name in "${plugins[@]}"; do
		[[ -z $name ]] || printf '%s\n' "--authorization-plugin=$name"
	done
	((${#EXTRA_FLAGS[@]} == 0)) || printf '%s\n' "${EXTRA_FLAGS[@]}"
}
mapfile -t FLAGS < <(dockerd_flags)

preflight() {
	local bin longest=$STATE/docker-exec/libnetwork/0123456789ab.sock
	((EUID == 0)) || peers_die "dockerd.sh must run as root (dockerd mounts, makes namespaces)"
	for bin in dockerd containerd ctr runc containerd-shim-runc-v2 "$PEERS_DOCKER_BIN"; do
		command -v "$bin" >/dev/null ||
			peers_die "$bin not found: apt-get install docker.io (it brings containerd and runc)"
	done
	[[ $STATE != *[[:space:]]* ]] || peers_die "STATE_DIR must not contain whitespace: $STATE"
	((${#longest} < 108)) ||
		peers_die "STATE_DIR is too long for unix socket paths (108 bytes): $longest"
	if [[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y* ]] &&
		! command -v apparmor_parser >/dev/null; then
		peers_log "warning: AppArmor is on but apparmor_parser is missing: containers" \
			"cannot start (pull and push work); apt-get install apparmor"
	fi
}

# live_pid PIDFILE COMM: prints the pid in PIDFILE if that process runs and
# is COMM (so a recycled pid is never signalled).
live_pid() {
	local pid
	[[ -s $1 ]] || return 1
	pid=$(<"$1")
	[[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
	echo "$pid"
}

# stop_pid PID SECONDS: TERM, then KILL if PID still runs after SECONDS.
stop_pid() {
	local pid=$1 deadline=$((SECONDS + $2))
	kill "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			peers_log "pid $pid still runs after $2s: KILL"
			kill -9 "$pid" 2>/dev/null || true
			return 0
		fi
		sleep 0.1
	done
}

ctd() { ctr --address "$CTD_SOCK" "$@"; }

# engine_answers: `docker info` works, or an authorization plugin refuses
# even /_ping (then the CLI fails, but the daemon is up). Bounded: until
# dockerd serves, its socket accepts connections that get no answer.
engine_answers() {
	timeout 3 "$PEERS_DOCKER_BIN" -H "unix://$SOCK" info --format '{{.ServerVersion}}' >/dev/null 2>&1 ||
		curl -sS --max-time 2 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null |
		grep -q 'authorization denied by plugin'
}

running() {
	live_pid "$PIDFILE" dockerd >/dev/null && live_pid "$CTD_PIDFILE" containerd >/dev/null &&
		engine_answers
}

# wait_for WHAT PID CHECK...: polls CHECK until it succeeds. Fails if PID
# exits or after PEERS_WAIT_SECONDS (default 30).
wait_for() {
	local what=$1 pid=$2 limit=${PEERS_WAIT_SECONDS:-30}
	local deadline=$((SECONDS + limit))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			peers_log "$what (pid $pid) exited while starting"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			peers_log "$what (pid $pid) did not answer within ${limit}s"
			return 1
		fi
		sleep 0.1
	done
}

# failed_start WHAT LOG PID: shows the tail of LOG, stops PID and whatever
# else started, fails.
failed_start() {
	peers_log "last 30 lines of $2 (grpc chatter left out):"
	grep -v 'module=grpc' "$2" | tail -n 30 >&2 || true
	stop_pid "$3" 20
	stop_all
	peers_die "$1 did not start; full log $2"
}

write_containerd_config() {
	mkdir -p "$CTD"
	cat >"$CTD/config.toml" <<-EOF
		# Written by tests/peers/dockerd.sh: the containerd of one test engine.
		version = 2
		root = "$CTD/root"
		state = "$CTD/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri",
		  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
		  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
		[grpc]
		  address = "$CTD_SOCK"
		[ttrpc]
		  address = "$CTD_SOCK.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
	EOF
}

start_containerd() {
	write_containerd_config
	containerd --config "$CTD/config.toml" </dev/null >"$CTD_LOG" 2>&1 &
	echo $! >"$CTD_PIDFILE"
	wait_for containerd $! ctd version || failed_start containerd "$CTD_LOG" $!
}

start_dockerd() {
	local pid
	[[ -f $STATE/daemon.json ]] || echo '{}' >"$STATE/daemon.json" # not /etc/docker/daemon.json
	dockerd "${FLAGS[@]}" </dev/null >"$LOG" 2>&1 &
	pid=$!
	printf '%s\n' "${FLAGS[@]}" >"$FLAGSFILE"
	wait_for dockerd "$pid" engine_answers || failed_start dockerd "$LOG" "$pid"
	peers_log "dockerd up (pid $pid, containerd pid $(<"$CTD_PIDFILE")) on unix://$SOCK, log $LOG"
}

# kill_containers: SIGKILL to the engine's running containers, so that stop
# does not wait their stop timeout (10 s each by default).
kill_containers() {
	local ids=()
	mapfile -t ids < <("$PEERS_DOCKER_BIN" -H "unix://$SOCK" ps -q 2>/dev/null)
	((${#ids[@]} == 0)) || "$PEERS_DOCKER_BIN" -H "unix://$SOCK" kill "${ids[@]}" >/dev/null 2>&1 || true
}

# kill_runc_containers: containers whose containerd and shim are gone (both
# were killed) still run; runc finds them in the engine's runtime roots.
kill_runc_containers() {
	local state dir
	while read -r state; do
		dir=${state%/state.json}
		peers_log "deleting leftover runc container ${dir##*/}"
		runc --root "${dir%/*}" delete --force "${dir##*/}" >/dev/null 2>&1 || true
	done < <(find "$STATE/docker-exec" -path '*runtime-runc/*/state.json' 2>/dev/null)
}

# stop_tasks: kills the containers (and managed plugins) still running in
# our containerd, in every namespace, so that no shim outlives it.
stop_tasks() {
	local ns id
	live_pid "$CTD_PIDFILE" containerd >/dev/null || return 0
	for ns in $(ctd namespaces ls -q 2>/dev/null); do
		for id in $(ctd -n "$ns" tasks ls -q 2>/dev/null); do
			peers_log "killing leftover task $ns/$id"
			ctd -n "$ns" tasks rm -f "$id" >/dev/null 2>&1 || true
		done
	done
}

# kill_shims: any containerd-shim still serving our containerd (its command
# line names our socket), e.g. after containerd was killed, and the sockets
# such shims leave in /run/containerd/s/ (named in our task bundles).
kill_shims() {
	local f pid address
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == containerd-shim* ]] || continue
		# the whole command line first: under pipefail `tr | grep -q` can fail by SIGPIPE
		grep -qxF -- "$CTD_SOCK" <<<"$(tr '\0' '\n' <"$f" 2>/dev/null)" || continue
		peers_log "killing leftover shim $pid"
		kill -9 "$pid" 2>/dev/null || true
	done
	for f in "$CTD"/state/io.containerd.runtime.v2.task/*/*/address; do
		[[ -f $f ]] || continue
		address=$(<"$f")
		if [[ $address == unix:///run/containerd/s/* ]]; then rm -f "${address#unix://}"; fi
	done
}

# unmount_state: everything mounted under STATE, deepest first.
unmount_state() {
	local target
	findmnt -rn -o TARGET | awk -v p="$STATE/" 'index($0, p) == 1' | sort -r |
		while read -r target; do
			umount "$target" 2>/dev/null || umount -l "$target" ||
				peers_log "could not unmount $target"
		done
}

# clear_env_lines: our lines out of STATE/env (start.sh's lines stay).
clear_env_lines() {
	[[ -f $STATE/env ]] || return 0
	grep -vE "$ENV_LINES" "$STATE/env" >"$STATE/env.tmp" || true
	mv "$STATE/env.tmp" "$STATE/env"
}

write_env() {
	cat >"$STATE/dockerd.env" <<-EOF
		# Written by tests/peers/dockerd.sh; the same lines are appended to env.
		export TRUST_TEST_DOCKER_HOST=unix://$SOCK
		export TRUST_TEST_DOCKERD_PIDFILE=$PIDFILE
		export TRUST_TEST_DOCKERD_LOG=$LOG
		export TRUST_TEST_DOCKERD_DATA_ROOT=$STATE/docker-data
	EOF
	clear_env_lines
	grep -E "$ENV_LINES" "$STATE/dockerd.env" >>"$STATE/env"
}

stop_all() {
	local pid
	if pid=$(live_pid "$PIDFILE" dockerd); then
		kill_containers
		stop_pid "$pid" 20
	fi
	stop_tasks
	if pid=$(live_pid "$CTD_PIDFILE" containerd); then
		stop_pid "$pid" 10
	fi
	kill_runc_containers
	kill_shims
	unmount_state
	rm -f "$SOCK" "$PIDFILE" "$FLAGSFILE" "$CTD_PIDFILE" "$CTD_SOCK" "$CTD_SOCK.ttrpc" \
		"$STATE/dockerd.env"
	clear_env_lines
}

start() {
	preflight
	if running && [[ $(cat "$FLAGSFILE" 2>/dev/null) == "$(printf '%s\n' "${FLAGS[@]}")" ]]; then
		peers_log "engine of $STATE already running"
	else
		stop_all
		start_containerd
		start_dockerd
	fi
	write_env
	peers_log "source $STATE/env (TRUST_TEST_DOCKER_HOST=unix://$SOCK)"
}

status() {
	if running; then
		echo "running: unix://$SOCK (dockerd pid $(<"$PIDFILE"), containerd pid $(<"$CTD_PIDFILE"))"
	else
		echo "not running"
		return 1
	fi
}

case $CMD in
start) start ;;
stop) stop_all ;;
status) status ;;
*) usage ;;
esac
