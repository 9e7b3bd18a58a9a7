#!/usr/bin/env bash
# Starts the real peers on loopback for interop tests:
#   notary-server (Debian notary 0.7.0, memory storage)  https://localhost:4443
#   a second notary-server (its own memory storage)       https://localhost:4444
#   docker-registry (distribution 2.8, filesystem)        http://localhost:5000
#   a second docker-registry, TLS + htpasswd Basic auth   https://localhost:5001
# Usage: tests/peers/start.sh STATE_DIR
#        tests/peers/start.sh --only-server-b STATE_DIR   (start just the second
#        notary-server next to peers that already run, and add it to env)
#        tests/peers/start.sh --only-auth-registry STATE_DIR   (start just the
#        registry with auth next to peers that already run, and add it to env)
# Writes STATE_DIR/env (source it). If the peers of STATE_DIR already run and
# answer, it only rewrites env; stale leftovers are stopped and restarted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ONLY_B=
ONLY_AUTH=
case ${1:-} in
--only-server-b) ONLY_B=1 && shift ;;
--only-auth-registry) ONLY_AUTH=1 && shift ;;
esac
[[ $# -eq 1 ]] || peers_die "usage: $0 [--only-server-b | --only-auth-registry] STATE_DIR"
mkdir -p "$1"
STATE=$(cd "$1" && pwd)
CA=$STATE/tls/ca.crt
NOTARY_PID=$STATE/notary-server.pid
NOTARY_LOG=$STATE/notary-server.log
NOTARY_B_PID=$STATE/notary-server-b.pid
NOTARY_B_LOG=$STATE/notary-server-b.log
REGISTRY_PID=$STATE/registry.pid
REGISTRY_LOG=$STATE/registry.log
AUTH_REGISTRY_PID=$STATE/registry-auth.pid
AUTH_REGISTRY_LOG=$STATE/registry-auth.log
# The DOCKER_CONFIG of a client logged in to the registry with auth.
AUTH_DOCKER_CONFIG=$STATE/auth-docker-config

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

# write_notary_config LISTEN CONFIG: a notary-server on LISTEN with memory storage.
write_notary_config() {
	jq -n --arg addr "$1" \
		--arg cert "$STATE/tls/server.crt" --arg key "$STATE/tls/server.key" '{
		server: {http_addr: $addr, tls_cert_file: $cert, tls_key_file: $key},
		trust_service: {type: "local", hostname: "", port: "", key_algorithm: "ecdsa"},
		storage: {backend: "memory"},
		logging: {level: "info"}
	}' >"$2"
}

# write_registry_config: the registry on :5000, plain HTTP, configured as
# Debian's package ships it (/etc/docker/registry/config.yml: filesystem storage
# with the in-memory blob descriptor cache), without its htpasswd auth.
write_registry_config() {
	mkdir -p "$STATE/registry"
	cat >"$STATE/registry.yml" <<-EOF
		version: 0.1
		log:
		  level: info
		  fields:
		    service: registry
		storage:
		  cache:
		    blobdescriptor: inmemory
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

# write_auth_registry_config: the registry on :5001 with the test CA's server
# certificate and a bcrypt htpasswd file (distribution 2.8 accepts only bcrypt).
# With `auth: htpasswd` every request needs the credentials, pulls included.
write_auth_registry_config() {
	mkdir -p "$STATE/registry-auth"
	htpasswd -Bbn "$PEERS_AUTH_REGISTRY_USER" "$PEERS_AUTH_REGISTRY_PASSWORD" >"$STATE/registry-auth.htpasswd"
	cat >"$STATE/registry-auth.yml" <<-EOF
		version: 0.1
		log:
		  level: info
		  fields:
		    service: registry-auth
		storage:
		  cache:
		    blobdescriptor: inmemory
		  filesystem:
		    rootdirectory: $STATE/registry-auth
		  delete:
		    enabled: true
		auth:
		  htpasswd:
		    realm: trust-test-registry
		    path: $STATE/registry-auth.htpasswd
		http:
		  addr: $PEERS_AUTH_REGISTRY_LISTEN
		  tls:
		    certificate: $STATE/tls/server.crt
		    key: $STATE/tls/server.key
		  headers:
		    X-Content-Type-Options: [nosniff]
	EOF
}

# write_auth_docker_config: a DOCKER_CONFIG whose config.json holds the
# credentials for the registry with auth (`auths`, as `docker login` writes
# them) and whose tls/<host:port>/ca.crt is the test CA (docker's layout).
write_auth_docker_config() {
	local tls=$AUTH_DOCKER_CONFIG/tls/$PEERS_AUTH_REGISTRY_HOSTPORT
	mkdir -p "$tls"
	chmod 700 "$AUTH_DOCKER_CONFIG"
	cp "$CA" "$tls/ca.crt"
	jq -n --arg host "$PEERS_AUTH_REGISTRY_HOSTPORT" \
		--arg auth "$(printf '%s:%s' "$PEERS_AUTH_REGISTRY_USER" "$PEERS_AUTH_REGISTRY_PASSWORD" | base64 -w0)" \
		'{auths: {($host): {auth: $auth}}}' >"$AUTH_DOCKER_CONFIG/config.json"
	chmod 600 "$AUTH_DOCKER_CONFIG/config.json"
}

# spawn PIDFILE LOGFILE CMD...: runs CMD in the background, detached from
# our stdio so callers capturing our output do not wait on it.
spawn() {
	local pidfile=$1 logfile=$2
	shift 2
	"$@" </dev/null >"$logfile" 2>&1 &
	echo $! >"$pidfile"
}

# start_notary_server PIDFILE LOGFILE LISTEN CONFIG HEALTH_URL NAME
start_notary_server() {
	local pidfile=$1 logfile=$2 listen=$3 config=$4 health=$5 name=$6
	peers_port_busy "$listen" && peers_die "$listen is already in use"
	write_notary_config "$listen" "$config"
	# One thread runs Go code: notary-server 0.7's local trust service keeps
	# its private keys in a Go map with no lock (signed.Ed25519), and two
	# repositories created at the same moment (their first GET .../snapshot.key
	# or timestamp.key) end the server with "fatal error: concurrent map
	# writes". With GOMAXPROCS=1 one map write finishes before another
	# goroutine runs; requests still overlap while they wait on I/O.
	spawn "$pidfile" "$logfile" env GOMAXPROCS=1 notary-server -config "$config"
	peers_wait_up "$pidfile" "$logfile" "$health" --cacert "$CA"
	peers_log "$name up (pid $(<"$pidfile")), log $logfile"
}

start_notary() {
	start_notary_server "$NOTARY_PID" "$NOTARY_LOG" "$PEERS_NOTARY_LISTEN" "$STATE/notary-server.json" \
		"$(notary_health_url)" notary-server
}

start_notary_b() {
	start_notary_server "$NOTARY_B_PID" "$NOTARY_B_LOG" "$PEERS_NOTARY_B_LISTEN" "$STATE/notary-server-b.json" \
		"$(notary_b_health_url)" "second notary-server"
}

start_registry() {
	peers_port_busy "$PEERS_REGISTRY_LISTEN" && peers_die "$PEERS_REGISTRY_LISTEN is already in use"
	write_registry_config
	spawn "$REGISTRY_PID" "$REGISTRY_LOG" docker-registry serve "$STATE/registry.yml"
	peers_wait_up "$REGISTRY_PID" "$REGISTRY_LOG" "$(registry_url)/v2/"
	peers_log "docker-registry up (pid $(<"$REGISTRY_PID")), log $REGISTRY_LOG"
}

start_auth_registry() {
	peers_port_busy "$PEERS_AUTH_REGISTRY_LISTEN" && peers_die "$PEERS_AUTH_REGISTRY_LISTEN is already in use"
	write_auth_registry_config
	spawn "$AUTH_REGISTRY_PID" "$AUTH_REGISTRY_LOG" docker-registry serve "$STATE/registry-auth.yml"
	peers_wait_up "$AUTH_REGISTRY_PID" "$AUTH_REGISTRY_LOG" "$(auth_registry_url)/v2/" \
		--cacert "$CA" -u "$PEERS_AUTH_REGISTRY_USER:$PEERS_AUTH_REGISTRY_PASSWORD"
	# Anonymous requests must be refused, or the tests that rely on it prove nothing.
	local anonymous
	anonymous=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$CA" "$(auth_registry_url)/v2/")
	[[ $anonymous == 401 ]] || peers_die "$(auth_registry_url)/v2/ answered $anonymous to an anonymous client, not 401"
	peers_log "docker-registry with auth up (pid $(<"$AUTH_REGISTRY_PID")), log $AUTH_REGISTRY_LOG"
}

notary_health_url() { echo "https://$PEERS_NOTARY_HOSTPORT/_notary_server/health"; }
notary_b_health_url() { echo "https://$PEERS_NOTARY_B_HOSTPORT/_notary_server/health"; }
registry_url() { echo "http://$PEERS_REGISTRY_HOSTPORT"; }
auth_registry_url() { echo "https://$PEERS_AUTH_REGISTRY_HOSTPORT"; }

running() {
	peers_pid_alive "$NOTARY_PID" && peers_pid_alive "$REGISTRY_PID" && running_b && running_auth &&
		curl -fsS -o /dev/null --max-time 2 --cacert "$CA" "$(notary_health_url)" &&
		curl -fsS -o /dev/null --max-time 2 "$(registry_url)/v2/"
}

running_auth() {
	peers_pid_alive "$AUTH_REGISTRY_PID" && curl -fsS -o /dev/null --max-time 2 --cacert "$CA" \
		-u "$PEERS_AUTH_REGISTRY_USER:$PEERS_AUTH_REGISTRY_PASSWORD" "$(auth_registry_url)/v2/"
}

running_b() {
	peers_pid_alive "$NOTARY_B_PID" && curl -fsS -o /dev/null --max-time 2 --cacert "$CA" "$(notary_b_health_url)"
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
		export TRUST_TEST_SERVER_B=https://$PEERS_NOTARY_B_HOSTPORT
		export TRUST_TEST_NOTARY_B_PIDFILE=$NOTARY_B_PID
		export TRUST_TEST_REGISTRY_PIDFILE=$REGISTRY_PID
		export DOCKER_BIN=$PEERS_DOCKER_BIN
		export NOTARY_BIN=$PEERS_NOTARY_BIN
	EOF
	auth_env_lines >>"$STATE/env"
}

# auth_env_lines: the env lines of the registry with auth.
auth_env_lines() {
	printf '%s\n' \
		"export TRUST_TEST_AUTH_REGISTRY=$PEERS_AUTH_REGISTRY_HOSTPORT" \
		"export TRUST_TEST_AUTH_REGISTRY_USER=$PEERS_AUTH_REGISTRY_USER" \
		"export TRUST_TEST_AUTH_REGISTRY_PASSWORD=$PEERS_AUTH_REGISTRY_PASSWORD" \
		"export TRUST_TEST_AUTH_DOCKER_CONFIG=$AUTH_DOCKER_CONFIG" \
		"export TRUST_TEST_AUTH_REGISTRY_PIDFILE=$AUTH_REGISTRY_PID"
}

# main_only_b: the second notary-server next to running peers; env gains its lines.
main_only_b() {
	[[ -s $CA ]] || peers_die "$CA missing: start the peers first"
	running_b || {
		peers_kill "$NOTARY_B_PID"
		start_notary_b
	}
	[[ -f $STATE/env ]] || peers_die "$STATE/env missing: start the peers first"
	grep -q '^export TRUST_TEST_SERVER_B=' "$STATE/env" || printf '%s\n' \
		"export TRUST_TEST_SERVER_B=https://$PEERS_NOTARY_B_HOSTPORT" \
		"export TRUST_TEST_NOTARY_B_PIDFILE=$NOTARY_B_PID" >>"$STATE/env"
	peers_log "source $STATE/env"
}

# main_only_auth: the registry with auth next to running peers (or alone in a
# new STATE: the CA is made if missing); env gains its lines.
main_only_auth() {
	make_certs
	running_auth || {
		peers_kill "$AUTH_REGISTRY_PID"
		start_auth_registry
	}
	write_auth_docker_config
	touch "$STATE/env"
	grep -q '^export TRUST_TEST_AUTH_REGISTRY=' "$STATE/env" || auth_env_lines >>"$STATE/env"
	peers_log "source $STATE/env"
}

main() {
	if [[ -n $ONLY_B ]]; then
		main_only_b
		return
	fi
	if [[ -n $ONLY_AUTH ]]; then
		main_only_auth
		return
	fi
	if running; then
		peers_log "peers of $STATE already running"
	else
		"$PEERS_DIR/stop.sh" "$STATE"
		rm -rf "$STATE/repos" "$STATE/repos.json" # a new server has none of them
		make_certs
		start_notary
		start_notary_b
		start_registry
		start_auth_registry
	fi
	write_auth_docker_config
	write_env
	peers_log "source $STATE/env"
}

main
