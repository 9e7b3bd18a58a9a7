#!/usr/bin/env bash
# Fails when trust-tuf, the I/O-free layer, depends on a crate that does I/O: a
# network client or TLS, temporary files, a keyring, a terminal, archives, or
# low-level system calls. Also fails when its chrono can read the clock. Run by
# .ci/run's lint step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

banned='reqwest|hyper|rustls|tempfile|keyring|rpassword|tar|flate2|linux-keyutils|rustix|signal-hook'
fail=0
for features in "" "--no-default-features --features fips"; do
	# shellcheck disable=SC2086 # the features are separate words
	tree=$(cargo tree -p trust-tuf -e normal --prefix none $features)
	crates=$(sed 's/ (\*)$//' <<<"$tree" | awk '{print $1}' | sort -u)
	found=$(grep -xE "$banned" <<<"$crates" || true)
	if [[ -n $found ]]; then
		echo "check-layers: trust-tuf${features:+ ($features)} depends on crates that do I/O:" $found >&2
		fail=1
	fi
	# shellcheck disable=SC2086
	if cargo tree -p trust-tuf -e normal,features --prefix none $features | grep -q '^chrono feature "clock"'; then
		echo "check-layers: trust-tuf${features:+ ($features)} has chrono's clock" >&2
		fail=1
	fi
done
((fail == 0)) || exit 1
echo "check-layers: trust-tuf has no I/O dependency"
