# shellcheck shell=bash
# Helpers shared by the peer harness scripts and by anyone testing against the
# real peers. Source this file; it sets no shell options of its own.
#
# Functions that talk to the peers need the variables from <state>/env
# (written by start.sh): TRUST_TEST_SERVER, TRUST_TEST_CA, ...

# shellcheck disable=SC2034 # constants for the scripts that source this
PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The one passphrase used for every key the harness makes (root, targets,
# snapshot, delegations). These are throwaway test keys.
TRUST_TEST_PASSPHRASE=${TRUST_TEST_PASSPHRASE:-trust-test-passphrase}

PEERS_NOTARY_HOSTPORT=localhost:4443
PEERS_NOTARY_LISTEN=127.0.0.1:4443
# A second notary-server (same CA, own memory storage) for moving repositories.
PEERS_NOTARY_B_HOSTPORT=localhost:4444
PEERS_NOTARY_B_LISTEN=127.0.0.1:4444
PEERS_REGISTRY_HOSTPORT=localhost:5000
PEERS_REGISTRY_LISTEN=127.0.0.1:5000
# A second docker-registry with TLS (the test CA) and htpasswd Basic auth:
# anonymous pulls are refused. Throwaway credentials, like the passphrase.
PEERS_AUTH_REGISTRY_HOSTPORT=localhost:5001
PEERS_AUTH_REGISTRY_LISTEN=127.0.0.1:5001
PEERS_AUTH_REGISTRY_USER=${PEERS_AUTH_REGISTRY_USER:-trust-test}
PEERS_AUTH_REGISTRY_PASSWORD=${PEERS_AUTH_REGISTRY_PASSWORD:-trust-test-registry-password}
PEERS_DOCKER_BIN=/usr/bin/docker
PEERS_NOTARY_BIN=/usr/bin/notary

peers_log() { printf '[peers] %s\n' "$*" >&2; }
peers_die() {
	peers_log "error: $*"
	exit 1
}

# peers_source_env STATE: the environment start.sh wrote for STATE.
peers_source_env() {
	[[ -f $1/env ]] || peers_die "$1/env missing: run tests/peers/start.sh $1 first"
	# shellcheck source=/dev/null
	source "$1/env"
}

# peers_need_env: fail unless <state>/env has been sourced.
peers_need_env() {
	: "${TRUST_TEST_STATE:?source <state>/env (written by tests/peers/start.sh) first}"
	: "${TRUST_TEST_SERVER:?}" "${TRUST_TEST_CA:?}"
}

# peers_wait_up PIDFILE LOGFILE URL [curl args...]
# Polls URL until it answers 2xx (at most PEERS_WAIT_SECONDS, default 30).
# Fails early if the process in PIDFILE dies; prints LOGFILE on failure.
peers_wait_up() {
	local pidfile=$1 logfile=$2 url=$3
	shift 3
	local deadline=$((SECONDS + ${PEERS_WAIT_SECONDS:-30}))
	until curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null; do
		if ! peers_pid_alive "$pidfile" || ((SECONDS >= deadline)); then
			peers_log "$url is not answering; log $logfile:"
			cat "$logfile" >&2 || true
			return 1
		fi
		sleep 0.2
	done
}

# peers_port_busy HOST:PORT: true if something accepts connections there.
peers_port_busy() {
	local host=${1%:*} port=${1##*:}
	(: <"/dev/tcp/$host/$port") 2>/dev/null
}

# peers_cpu_ticks PID: the user and system CPU time PID has used, in clock ticks
# (getconf CLK_TCK a second; 0 when unknown).
peers_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# peers_pid_alive PIDFILE: true if PIDFILE names a running process.
peers_pid_alive() {
	local pid
	[[ -s $1 ]] || return 1
	pid=$(<"$1")
	kill -0 "$pid" 2>/dev/null
}

# peers_kill PIDFILE: stops the process named in PIDFILE (TERM, then KILL).
peers_kill() {
	local pidfile=$1 pid
	if peers_pid_alive "$pidfile"; then
		pid=$(<"$pidfile")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

# peers_docker_config DIR: makes DIR usable as DOCKER_CONFIG, trusting the
# test CA for the notary server. Prints DIR.
peers_docker_config() {
	peers_need_env
	local dir=$1
	mkdir -p "$dir/tls/$PEERS_NOTARY_HOSTPORT"
	chmod 700 "$dir"
	cp "$TRUST_TEST_CA" "$dir/tls/$PEERS_NOTARY_HOSTPORT/ca.crt"
	[[ -f $dir/config.json ]] || echo '{}' >"$dir/config.json"
	printf '%s\n' "$dir"
}

# notary_cmd TRUSTDIR ARGS...: the notary CLI against the test server, with
# every passphrase set to the test passphrase.
notary_cmd() {
	peers_need_env
	local trustdir=$1
	shift
	NOTARY_ROOT_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		NOTARY_TARGETS_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		NOTARY_SNAPSHOT_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		NOTARY_DELEGATION_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		"$PEERS_NOTARY_BIN" -s "$TRUST_TEST_SERVER" -d "$trustdir" \
		--tlscacert "$TRUST_TEST_CA" "$@"
}

# docker_trust DOCKERCONFIG ARGS...: `docker trust ARGS...` (Debian's 20.10
# client, never the one first on PATH) against the test server.
docker_trust() {
	peers_need_env
	local config=$1
	shift
	DOCKER_CONFIG=$config \
		DOCKER_CONTENT_TRUST_SERVER=$TRUST_TEST_SERVER \
		DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		"$PEERS_DOCKER_BIN" trust "$@"
}

# fixed_sha256 STRING: hex sha256 of STRING (used for made-up, stable digests).
fixed_sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# --- the private Docker engine (tests/peers/dockerd.sh) ---------------------

# peers_tail LOGFILE [LINES]: the last LINES (default 30) lines of LOGFILE on
# stderr, under a header; for failure messages.
peers_tail() {
	peers_log "last ${2:-30} lines of $1:"
	tail -n "${2:-30}" "$1" >&2 2>/dev/null || true
}

# peers_need_engine: fail unless the env of a running tests/peers/dockerd.sh
# engine has been sourced.
peers_need_engine() {
	: "${TRUST_TEST_DOCKER_HOST:?run tests/peers/dockerd.sh start <state> and source <state>/env first}"
}

# engine_docker ARGS...: Debian's docker CLI against the private engine,
# content trust off (whatever the caller's environment says).
engine_docker() {
	peers_need_engine
	env -u DOCKER_CONTENT_TRUST "$PEERS_DOCKER_BIN" -H "$TRUST_TEST_DOCKER_HOST" "$@"
}

# engine_dct DOCKERCONFIG ARGS...: the docker CLI against the private engine
# with DOCKER_CONTENT_TRUST=1, the test notary server and the test passphrases
# (for `push` that signs, `pull` that verifies).
engine_dct() {
	peers_need_env
	peers_need_engine
	local config=$1
	shift
	DOCKER_CONFIG=$config DOCKER_CONTENT_TRUST=1 \
		DOCKER_CONTENT_TRUST_SERVER=$TRUST_TEST_SERVER \
		DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=$TRUST_TEST_PASSPHRASE \
		"$PEERS_DOCKER_BIN" -H "$TRUST_TEST_DOCKER_HOST" "$@"
}
