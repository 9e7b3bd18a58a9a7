#!/usr/bin/env bash
# bindings/c/ci.sh STATE: the C bindings end to end, against the peers that
# tests/peers/start.sh runs for STATE (and make-repos.sh's STATE/repos.json).
#
#  1. cargo build (debug, the workspace's features): target/debug/libtrust.{so,a},
#     and the trust CLI (target/debug/trust), which signs the registry store's cases
#  2. checks that the committed include/trust.h is what the pinned cbindgen
#     generates now (installs that cbindgen under the target dir if needed)
#  3. writes trust.pc for the build tree from trust.pc.in
#  4. compiles tests/trust_test.c with gcc through pkg-config, against the
#     shared and the static library
#  5. signs repositories into the registry store (--server oci:// and
#     oci://REGISTRY/trust-data) with the trust CLI and records what
#     `trust verify` prints for them, for the test program to agree with
#  6. serves a copy of fixtures/tuf1/basic with python3's http.server on a free
#     loopback port, for the test program's TUF 1.0 section
#  7. runs both, then the shared one under valgrind (definite and indirect
#     leaks and memory errors fail)
#
# Needs: a Rust toolchain, gcc, pkg-config, valgrind, jq, python3 (Debian: gcc
# pkg-config valgrind jq python3). Outputs go to <target>/debug/trust-c/.
set -euo pipefail

CBINDGEN_VERSION=0.29.4

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
state=${1:?usage: bindings/c/ci.sh STATE (the tests/peers state dir)}
[[ -f $state/env ]] || { echo "ci.sh: $state/env missing: run tests/peers/start.sh $state first" >&2; exit 1; }
# shellcheck source=/dev/null
source "$state/env"
: "${TRUST_TEST_SERVER:?}" "${TRUST_TEST_CA:?}" "${TRUST_TEST_REGISTRY:?}" "${TRUST_TEST_PASSPHRASE:?}"
[[ -f ${TRUST_TEST_REPOS:-} ]] || { echo "ci.sh: no repos.json: run tests/peers/make-repos.sh $state" >&2; exit 1; }
cd "$root"

step() { printf '\n---------- bindings/c: %s ----------\n' "$*"; }

target=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
libdir=$target/debug
out=$libdir/trust-c
mkdir -p "$out/pkgconfig"

# Every member's libraries and binaries with the features `cargo test --workspace`
# resolves (the --tests in the line brings in the dev-dependencies' features): after
# the workspace's tests (CI) only the C library itself is compiled and linked, and
# target/debug/trust stays the binary those tests ran. `cargo build -p trust-c`
# resolves the features of trust-c's dependencies alone and compiles a second copy
# of a third of the workspace's dependencies.
step "cargo build --workspace --lib --bins --tests (libtrust.so, libtrust.a, the trust CLI)"
cargo build --workspace --lib --bins --tests
ls -l "$libdir/libtrust.so" "$libdir/libtrust.a" "$libdir/trust"

step "include/trust.h is what cbindgen $CBINDGEN_VERSION generates"
cbindgen=cbindgen
if [[ $(cbindgen --version 2>/dev/null) != "cbindgen $CBINDGEN_VERSION" ]]; then
	cbindgen=$target/tools/cbindgen-$CBINDGEN_VERSION/bin/cbindgen
	# A debug build: it generates the header in under a second, and takes about
	# a third of a release build's CPU (75 against 213 CPU-seconds here).
	[[ -x $cbindgen ]] ||
		cargo install cbindgen --locked --debug --version "$CBINDGEN_VERSION" --root "$target/tools/cbindgen-$CBINDGEN_VERSION"
fi
"$cbindgen" --quiet --config "$here/cbindgen.toml" --output "$out/trust.h" "$here"
if ! diff -u "$here/include/trust.h" "$out/trust.h"; then
	echo "bindings/c/include/trust.h is out of date; regenerate it with cbindgen $CBINDGEN_VERSION:" >&2
	echo "  cbindgen --config bindings/c/cbindgen.toml --output bindings/c/include/trust.h bindings/c" >&2
	exit 1
fi
echo "up to date"

step "trust.pc"
version=$(cargo pkgid -p trust-c)
version=${version##*@}
sed -e "s|@PREFIX@|$root|" -e "s|@LIBDIR@|$libdir|" -e "s|@INCLUDEDIR@|$here/include|" -e "s|@VERSION@|$version|" \
	"$here/trust.pc.in" >"$out/pkgconfig/trust.pc"
export PKG_CONFIG_PATH=$out/pkgconfig
pkg-config --exists --print-errors trust
echo "$out/pkgconfig/trust.pc: trust $(pkg-config --modversion trust)"
echo "  cflags: $(pkg-config --cflags trust)"
echo "  libs:   $(pkg-config --libs trust)   static: $(pkg-config --static --libs trust)"

step "gcc tests/trust_test.c (shared and static)"
warnings=(-std=c11 -Wall -Wextra -Wpedantic -Werror -g -O1)
# shellcheck disable=SC2046 # pkg-config output is a list of words
gcc "${warnings[@]}" "$here/tests/trust_test.c" -o "$out/trust_test" -pthread \
	$(pkg-config --cflags --libs trust) -Wl,-rpath,"$(pkg-config --variable=libdir trust)"
static_libs=$(pkg-config --static --libs-only-l trust)
# shellcheck disable=SC2046,SC2086
gcc "${warnings[@]}" "$here/tests/trust_test.c" -o "$out/trust_test_static" -pthread \
	$(pkg-config --cflags trust) "$(pkg-config --variable=libdir trust)/libtrust.a" ${static_libs//-ltrust/}
# Read ldd's output whole before matching: under pipefail, `ldd | grep -q`
# fails whenever grep exits before ldd has finished writing (SIGPIPE).
shared_deps=$(ldd "$out/trust_test")
static_deps=$(ldd "$out/trust_test_static")
grep -q 'libtrust\.so' <<<"$shared_deps" || { echo "trust_test does not use libtrust.so:" >&2; echo "$shared_deps" >&2; exit 1; }
if grep -q libtrust <<<"$static_deps"; then
	echo "trust_test_static should not need libtrust.so" >&2
	exit 1
fi
ls -l "$out/trust_test" "$out/trust_test_static"

# What the real docker and notary CLIs signed (make-repos.sh): one line per
# unambiguous released tag, "IMAGE sha256:<hex>"; "IMAGE NOT_SIGNED" for a
# repository without tags and one that does not exist. docker-signers (made
# with `docker trust signer add`) comes first: the test verifies it from threads.
jq -r '["docker-signers", "notary-plain", "rotated", "empty", "missing"][] as $case | .repos[$case] as $r |
	if ($r.exists | not) then "\($r.image):v1 NOT_SIGNED"
	elif ($r.tags | length) == 0 then "\($r.image):latest NOT_SIGNED"
	else $r.tags | group_by(.tag)[] | select(length == 1) | .[0] | "\($r.image):\(.tag) sha256:\(.sha256)"
	end' "$TRUST_TEST_REPOS" >"$out/expected.txt"
export TRUST_C_EXPECTED=$out/expected.txt

step "trust CLI: sign into the registry store (oci://) for the test program"
# oci_trust SERVER WHO ARGS...: the trust CLI with the test passphrase, WHO's trust
# dir and an empty docker config; none of the caller's trust variables.
oci_home=$out/oci
rm -rf "$oci_home"
mkdir -p "$oci_home/docker-config"
oci_trust() {
	local server=$1 who=$2
	shift 2
	env -u DOCKER_CONTENT_TRUST -u DOCKER_CONTENT_TRUST_SERVER -u TRUST_PINNING -u TRUST_MAX_AGE \
		-u TRUST_OFFLINE_OK -u TRUST_TIMEOUT -u TRUST_MIN_RATE -u TRUST_BUNDLE -u TRUST_FROZEN \
		DOCKER_CONFIG="$oci_home/docker-config" \
		DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE="$TRUST_TEST_PASSPHRASE" \
		DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE="$TRUST_TEST_PASSPHRASE" \
		"$libdir/trust" --server "$server" --trust-dir "$oci_home/$who" "$@" </dev/null
}
random_digest() { echo "sha256:$(head -c 32 /dev/urandom | sha256sum | cut -d ' ' -f 1)"; }
# Fresh repository names (parallel runs share the registry and trust-data).
unique=c$$-$(date +%s%N)
own=$TRUST_TEST_REGISTRY/ctest-oci/$unique-own
dedicated=$TRUST_TEST_REGISTRY/ctest-oci/$unique-dedicated
never=$TRUST_TEST_REGISTRY/ctest-oci/$unique-never-signed
dedicated_server=oci://$TRUST_TEST_REGISTRY/trust-data
own_digest=$(random_digest)
dedicated_digest=$(random_digest)
oci_trust oci:// admin sign --digest "$own_digest" --size 1234 "$own:v1"
oci_trust "$dedicated_server" admin sign --digest "$dedicated_digest" --size 527 "$dedicated:v1"
# One line per case, "SERVER IMAGE DIGEST": what `trust verify` printed, or
# NOT_SIGNED for its exit 1 (any other exit fails here). Grouped by server.
: >"$out/oci-expected.txt"
while read -r server image signed; do
	rc=0
	printed=$(oci_trust "$server" reader verify "$image" 2>"$oci_home/verify.err") || rc=$?
	[[ $rc -ne 1 ]] || printed=NOT_SIGNED
	if [[ $rc -gt 1 || $printed != "$signed" ]]; then
		cat "$oci_home/verify.err" >&2
		echo "trust verify --server $server $image: exit $rc, printed $printed; signed: $signed" >&2
		exit 1
	fi
	echo "$server $image $printed" >>"$out/oci-expected.txt"
done <<CASES
oci:// $own:v1 $own_digest
oci:// $own:v2 NOT_SIGNED
oci:// $never:v1 NOT_SIGNED
oci:// $dedicated:v1 NOT_SIGNED
$dedicated_server $dedicated:v1 $dedicated_digest
$dedicated_server $dedicated:v2 NOT_SIGNED
$dedicated_server $own:v1 NOT_SIGNED
CASES
cat "$out/oci-expected.txt"
export TRUST_C_OCI_EXPECTED=$out/oci-expected.txt

step "TUF 1.0: an HTTP server of fixtures/tuf1/basic"
# A copy (the test program tampers with a target file and restores it), served on
# a port the kernel picks; the server writes it to a file once it listens.
tuf_repo=$out/tuf-repo
rm -rf "$tuf_repo" "$out/tuf-port"
mkdir -p "$tuf_repo"
cp -R "$root/fixtures/tuf1/basic/metadata" "$root/fixtures/tuf1/basic/targets" "$tuf_repo/"
python3 - "$tuf_repo" "$out/tuf-port" >"$out/tuf-server.log" 2>&1 <<'PY' &
import functools, http.server, os, sys

handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
PY
tuf_server=$!
trap 'kill "$tuf_server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s $out/tuf-port ]] && break; sleep 0.1; done
[[ -s $out/tuf-port ]] || { cat "$out/tuf-server.log" >&2; echo "the TUF fixture server did not start" >&2; exit 1; }
export TRUST_C_TUF_URL=http://127.0.0.1:$(cat "$out/tuf-port") TRUST_C_TUF_REPO=$tuf_repo
echo "$TRUST_C_TUF_URL serves $tuf_repo"
# stdin is not a terminal, as in CI: a missing passphrase fails instead of prompting.

step "trust_test (shared library)"
"$out/trust_test" </dev/null

step "trust_test_static (static library)"
"$out/trust_test_static" </dev/null >"$out/trust_test_static.out" || { cat "$out/trust_test_static.out"; exit 1; }
tail -n 1 "$out/trust_test_static.out"

step "trust_test under valgrind"
# Any memory error fails, and so do definite and indirect leaks; "possibly
# lost" and "still reachable" (the Rust runtime's statics and thread handles)
# do not. valgrind.supp says why each of its entries is there; its stacks need
# 40 callers.
if ! valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
	--num-callers=40 --suppressions="$here/valgrind.supp" --log-file="$out/valgrind.log" \
	"$out/trust_test" </dev/null >"$out/valgrind.out"; then
	cat "$out/valgrind.out" "$out/valgrind.log"
	echo "trust_test failed under valgrind (log: $out/valgrind.log)" >&2
	exit 1
fi
tail -n 1 "$out/valgrind.out"
grep -E 'definitely lost|indirectly lost|possibly lost|still reachable|suppressed|ERROR SUMMARY' "$out/valgrind.log"
step "ok"
