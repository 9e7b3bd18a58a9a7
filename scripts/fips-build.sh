#!/usr/bin/env bash
# Builds `trust` on the validated AWS-LC FIPS 3.0 module and checks the result:
#
#   scripts/fips-build.sh            # release build: target/release/trust
#   scripts/fips-build.sh --dev      # dev profile (what CI tests): target/debug/trust
#   scripts/fips-build.sh --dev -- ARGS...   # ARGS added to the cargo build
#
# CI adds the FIPS tests' selection (`-p trust-core --tests …`), so that the binary
# checked here is the one the FIPS tests then run, built once with the tests'
# feature resolution (which `cargo build -p trust-cli` alone would not share: the
# dependencies, AWS-LC FIPS among them, would be compiled a second time).
#
# Checks, each failing the script:
#   1. `cargo tree` of the build has no ring, ed25519-dalek, p256, RustCrypto aes,
#      cbc or md-5, and has aws-lc-fips-sys;
#   2. the binary links AWS-LC only as the FIPS module: C symbols aws_lc_fips_*,
#      none of the non-FIPS aws-lc-sys (aws_lc_<version>_*) or ring (ring_core_*).
#      rustls and rcgen ask for aws-lc-sys whenever their aws-lc-rs features are
#      on, so cargo compiles it, but nothing in it is linked;
#   3. `TRUST_FIPS=1 trust version` reports "module FIPS mode: on".
#
# Needs cmake and Go at build time (Debian: cmake golang-go) and about 5 minutes
# cold on 2 cores. CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

profile=release
extra=()
while (($#)); do
	case $1 in
	--dev) profile=dev ;;
	--)
		shift
		extra=("$@")
		break
		;;
	*)
		echo "usage: $0 [--dev] [-- CARGO_BUILD_ARGS...]" >&2
		exit 2
		;;
	esac
	shift
done
for tool in cmake go nm; do
	command -v "$tool" >/dev/null || {
		echo "$tool is needed to build the FIPS module (Debian: apt-get install cmake golang-go binutils)" >&2
		exit 2
	}
done

FEATURES=(-p trust-cli --no-default-features --features fips)
TARGET_DIR=${CARGO_TARGET_DIR:-target}
bin=$TARGET_DIR/$([[ $profile == dev ]] && echo debug || echo release)/trust
fail() {
	echo "fips-build: $*" >&2
	exit 1
}

echo "== cargo build ${FEATURES[*]} --profile $profile ${extra[*]}"
start=$SECONDS
cargo build "${FEATURES[@]}" --profile "$profile" "${extra[@]}"
echo "== built in $((SECONDS - start)) s: $bin"

echo "== cargo tree: crypto crates in the build"
crates=$(cargo tree "${FEATURES[@]}" -e normal --prefix none | sed 's/ (\*)$//' | awk '{print $1, $2}' | sort -u)
grep -E '^(aws-lc[a-z-]*|ring|ed25519-dalek|p256|aes|cbc|md-5|rustls) ' <<<"$crates" || true
banned=$(grep -E '^(ring|ed25519-dalek|p256|aes|cbc|md-5) ' <<<"$crates" || true)
[[ -z $banned ]] || fail "non-FIPS crypto crates in the FIPS build: $banned"
grep -q '^aws-lc-fips-sys ' <<<"$crates" || fail "aws-lc-fips-sys is not in the build"

echo "== symbols: only the FIPS module is linked"
symbols=$(nm "$bin")
fips=$(grep -cE ' [TtDdBbRr] aws_lc_fips_[0-9]' <<<"$symbols" || true)
other=$(grep -cE ' [TtDdBbRr] (aws_lc_[0-9]|ring_core_)' <<<"$symbols" || true)
echo "aws_lc_fips_* symbols: $fips; aws-lc-sys or ring symbols: $other"
((fips > 0)) || fail "$bin has no AWS-LC FIPS module symbols"
((other == 0)) || fail "$bin links non-FIPS crypto (aws-lc-sys or ring)"

echo "== TRUST_FIPS=1 $bin version"
version=$(TRUST_FIPS=1 "$bin" version)
echo "$version"
grep -q 'module FIPS mode: on' <<<"$version" || fail "the module does not report FIPS mode"
grep -q '^FIPS mode: on (TRUST_FIPS=1)' <<<"$version" || fail "trust version does not report FIPS mode from TRUST_FIPS"
echo "== FIPS build checked"
