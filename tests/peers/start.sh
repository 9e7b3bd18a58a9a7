#!/usr/bin/env bash
# Starts the real peers on loopback for interop tests:
#   notary-server (Debian notary 0.7.0, memory storage)  https://localhost:4443
#   docker-registry (distribution 2.8, filesystem)        http://localhost:5000
# Usage: tests/peers/start.sh STATE_DIR
# Writes STATE_DIR/env (source it). If the peers of STATE_DIR already run and
# answer, it only rewrites env; stale leftovers are stopped and restarted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || peers_die "usage: $0 STATE_DIR"
mkdir -p "$1"
STATE=$(cd "$1" && pwd)
CA=$STATE/tls/ca.crt
NOTARY_PID=$STATE/notary-server.pid
NOTARY_LOG=$STATE/notary-server.log
REGISTRY_PID=$STATE/registry.pid
REGISTRY_LOG=$STATE/registry.log

# make_certs: a throwaway CA and a server certificate for localhost and
# 127.0.0.1 signed by it (kept if already there).
make_certs() {
	local dir=$STATE/tls
	[[ -s $dir/server.crt && -s $CA ]] && return 0
	mkdir -p "$dir"
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$dir/ca.key" -out "$CA" -days 825 -subj "/CN=trust test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=localhost" 2>/dev/null
	openssl x509 -req -in "$dir/server.csr" -CA "$CA" -CAkey "$dir/ca.key" \
		-CAcreateserial -out "$dir/server.crt" -days 825 -extfile <(
			printf '%s\n' \
				"basicConstraints=critical,CA:FALSE" \
				"keyUsage=critical,digitalSignature,keyEncipherment" \
				"extendedKeyUsage=serverAuth" \
				"subjectAltName=DNS:localhost,IP:127.0.0.1"
		) 2>/dev/null
	rm -f "$dir/server.csr"
}

write_notary_config() {
	jq -n --arg addr "$PEERS_NOTARY_LISTEN" \
		--arg cert "$STATE/tls/server.crt" --arg key "$STATE/tls/server.key" '{
		server: {http_addr: $addr, tls_cert_file: $cert, tls_key_file: $key},
		trust_service: {type: "local", hostname: "", port: "", key_algorithm: "ecdsa"},
		storage: {backend: "memory"},
		logging: {level: "info"}
	}' >"$STATE/notary-server.json"
}

write_registry_config() {
	mkdir -p "$STATE/registry"
	cat >"$STATE/registry.yml" <<-EOF
		version: 0.1
		log:
		  level: info
		  fields:
		    service: registry
		storage:
		  filesystem:
		    rootdirectory: $STATE/registry
		  delete:
		    enabled: true
		http:
		  addr: $PEERS_REGISTRY_LISTEN
		  headers:
		    X-Content-Type-Options: [nosniff]
	EOF
}

# spawn PIDFILE LOGFILE CMD...: runs CMD in the background, detached from
# our stdio so callers capturing our output do not wait on it.
spawn() {
	local pidfile=$1 logfile=$2
	shift 2
	"$@" </dev/null >"$logfile" 2>&1 &
	echo $! >"$pidfile"
}

start_notary() {
	peers_port_busy "$PEERS_NOTARY_LISTEN" && peers_die "$PEERS_NOTARY_LISTEN is already in use"
	write_notary_config
	spawn "$NOTARY_PID" "$NOTARY_LOG" notary-server -config "$STATE/notary-server.json"
	peers_wait_up "$NOTARY_PID" "$NOTARY_LOG" "$(notary_health_url)" --cacert "$CA"
	peers_log "notary-server up (pid $(<"$NOTARY_PID")), log $NOTARY_LOG"
}

start_registry() {
	peers_port_busy "$PEERS_REGISTRY_LISTEN" && peers_die "$PEERS_REGISTRY_LISTEN is already in use"
	write_registry_config
	spawn "$REGISTRY_PID" "$REGISTRY_LOG" docker-registry serve "$STATE/registry.yml"
	peers_wait_up "$REGISTRY_PID" "$REGISTRY_LOG" "$(registry_url)/v2/"
	peers_log "docker-registry up (pid $(<"$REGISTRY_PID")), log $REGISTRY_LOG"
}

notary_health_url() { echo "https://$PEERS_NOTARY_HOSTPORT/_notary_server/health"; }
registry_url() { echo "http://$PEERS_REGISTRY_HOSTPORT"; }

running() {
	peers_pid_alive "$NOTARY_PID" && peers_pid_alive "$REGISTRY_PID" &&
		curl -fsS -o /dev/null --max-time 2 --cacert "$CA" "$(notary_health_url)" &&
		curl -fsS -o /dev/null --max-time 2 "$(registry_url)/v2/"
}

write_env() {
	cat >"$STATE/env" <<-EOF
		# Written by tests/peers/start.sh; source it.
		export TRUST_TEST_STATE=$STATE
		export TRUST_TEST_SERVER=https://$PEERS_NOTARY_HOSTPORT
		export TRUST_TEST_CA=$CA
		export TRUST_TEST_REGISTRY=$PEERS_REGISTRY_HOSTPORT
		export TRUST_TEST_REGISTRY_URL=$(registry_url)
		export TRUST_TEST_PASSPHRASE=$TRUST_TEST_PASSPHRASE
		export TRUST_TEST_REPOS=$STATE/repos.json
		export TRUST_TEST_NOTARY_PIDFILE=$NOTARY_PID
		export TRUST_TEST_REGISTRY_PIDFILE=$REGISTRY_PID
		export DOCKER_BIN=$PEERS_DOCKER_BIN
		export NOTARY_BIN=$PEERS_NOTARY_BIN
	EOF
}

main() {
	if running; then
		peers_log "peers of $STATE already running"
	else
		"$PEERS_DIR/stop.sh" "$STATE"
		rm -rf "$STATE/repos" "$STATE/repos.json" # a new server has none of them
		make_certs
		start_notary
		start_registry
	fi
	write_env
	peers_log "source $STATE/env"
}

main
