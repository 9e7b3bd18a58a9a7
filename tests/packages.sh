#!/usr/bin/env bash
# Installs the .deb packages scripts/package.sh built into this machine (as root)
# and checks what a user gets: `trust version`, the docker CLI plugin through its
# installed link (metadata, and the real docker CLI listing it when one is
# installed), manual pages, completions, the hook's unit (installed, not enabled)
# and its policy as a conffile. Then removes both: `dpkg -r` leaves only the
# conffile, `dpkg -P` removes that too. With a tarball, checks that its binaries
# are static and run.
#
#   bash tests/packages.sh DIR   (DIR holds trust_*.deb, trust-engine-hook_*.deb and,
#                                 optionally, trust-*-x86_64-linux-musl.tar.gz)
set -euo pipefail
dir=$(cd "${1:?usage: $0 DIR}" && pwd)
fail() {
	echo "packages: $*" >&2
	exit 1
}

check_tarball() {
	local tarballs tarball tmp f
	tarballs=("$dir"/trust-*-x86_64-linux-musl.tar.gz)
	[[ -f ${tarballs[0]} ]] || return 0
	tarball=${tarballs[0]}
	tmp=$(mktemp -d)
	tar -C "$tmp" -xzf "$tarball"
	for f in "$tmp"/trust-*/bin/*; do
		file -L "$f" | grep -qE 'static(-pie)? linked|statically linked' || fail "$f: $(file -L "$f")"
		ldd "$f" 2>&1 | grep -qE 'not a dynamic executable|statically linked' || fail "ldd $f: $(ldd "$f" 2>&1)"
	done
	"$tmp"/trust-*/bin/trust version | grep -q '^trust ' || fail "the tarball's trust does not run"
	MANWIDTH=80 man --warnings -l "$tmp"/trust-*/share/man/man1/trust-sign.1.gz >/dev/null
	echo "tarball $(basename "$tarball"): static binaries, $(find "$tmp" -type f | wc -l) files"
	rm -rf "$tmp"
}

check_tarball

# Whatever happens below, the machine is left without the packages.
metadata=$(mktemp)
cleanup() {
	rm -f "$metadata"
	dpkg -P trust-engine-hook trust >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Both packages, as users install them.
apt-get install -y -q --no-install-recommends "$dir"/trust_*.deb "$dir"/trust-engine-hook_*.deb
files_trust=$(dpkg -L trust)
files_hook=$(dpkg -L trust-engine-hook)

trust version | grep -q "^trust $(dpkg-query -W -f '${Version}' trust)\$" || fail "trust version: $(trust version)"
plugin=/usr/libexec/docker/cli-plugins/docker-trust
[[ $(readlink -f "$plugin") == /usr/bin/trust ]] || fail "$plugin does not lead to /usr/bin/trust"
if "$plugin" docker-cli-plugin-metadata >"$metadata" 2>&1; then
	jq -e '.SchemaVersion == "0.1.0"' "$metadata" >/dev/null ||
		fail "plugin metadata: $(cat "$metadata")"
	echo "docker-trust docker-cli-plugin-metadata: $(jq -c . "$metadata")"
	# Through the real docker CLI, under a second name (docker's built-in `trust`
	# shadows a plugin of that name before Docker 29).
	for docker in /usr/local/bin/docker /usr/bin/docker; do
		[[ -x $docker ]] || continue
		config=$(mktemp -d)
		mkdir "$config/cli-plugins"
		ln -s "$plugin" "$config/cli-plugins/docker-trustpkg"
		DOCKER_CONFIG=$config "$docker" trustpkg version | grep -q '^trust ' ||
			fail "$docker trustpkg version: $(DOCKER_CONFIG=$config "$docker" trustpkg version 2>&1)"
		echo "$("$docker" --version | head -n 1): docker trustpkg version runs the installed plugin"
		rm -rf "$config"
	done
elif grep -q "unrecognized subcommand 'docker-cli-plugin-metadata'" "$metadata"; then
	# Only while this build has no docker CLI plugin entry point: any other failure fails.
	echo "SKIP plugin-metadata: this trust has no docker-cli-plugin-metadata subcommand yet"
else
	fail "docker-trust docker-cli-plugin-metadata: $(cat "$metadata")"
fi
MANWIDTH=80 man --warnings trust-sign 2>&1 >/dev/null | (! grep .) || fail "man trust-sign warns"
MANWIDTH=80 man trust-sign | grep -qE 'trust-sign +- +Sign image tags' || fail "man trust-sign"
MANWIDTH=80 man 8 trust-engine-hook | grep -qE 'trust-engine-hook +- ' || fail "man 8 trust-engine-hook"
for f in /usr/share/bash-completion/completions/trust /usr/share/zsh/vendor-completions/_trust \
	/usr/share/fish/vendor_completions.d/trust.fish /usr/share/bash-completion/completions/trust-engine-hook; do
	[[ -s $f ]] || fail "$f missing"
done
bash -c 'source /usr/share/bash-completion/completions/trust && complete -p trust' | grep -q _trust ||
	fail "the installed bash completion does not load"
if command -v fish >/dev/null; then
	[[ $(fish -c "complete -C 'trust si'" | cut -f1 | tr '\n' ' ') == "sign signer " ]] ||
		fail "fish does not find the installed completion"
fi
[[ -f /lib/systemd/system/trust-engine-hook.service ]] || fail "the unit is missing"
grep -q '^ExecStart=/usr/bin/trust-engine-hook serve' /lib/systemd/system/trust-engine-hook.service ||
	fail "the unit's ExecStart is not the installed binary"
[[ ! -e /etc/systemd/system/multi-user.target.wants/trust-engine-hook.service ]] || fail "the unit was enabled"
[[ $(dpkg-query -W -f '${Conffiles}' trust-engine-hook) == *"/etc/trust-engine-hook/policy.json"* ]] ||
	fail "the policy is not a conffile"
trust-engine-hook check-policy /etc/trust-engine-hook/policy.json >/dev/null
echo "installed: trust ($(wc -l <<<"$files_trust") paths), trust-engine-hook ($(wc -l <<<"$files_hook") paths)"

# remove: every file gone but the conffile; purge: that too.
dpkg -r trust trust-engine-hook
left=()
for f in $files_trust $files_hook; do
	[[ -d $f ]] && continue # directories (and /lib, a link on merged-/usr systems) are shared
	if [[ -f $f || -L $f ]]; then left+=("$f"); fi
done
[[ ${left[*]} == /etc/trust-engine-hook/policy.json ]] || fail "after dpkg -r, left behind: ${left[*]:-nothing (the conffile is gone)}"
dpkg -P trust-engine-hook
! dpkg-query -W trust >/dev/null 2>&1 || [[ $(dpkg-query -W -f '${db:Status-Status}' trust) == not-installed ]] ||
	fail "after dpkg -r, trust is still known to dpkg: $(dpkg-query -W -f '${db:Status-Abbrev}' trust)"
[[ ! -e /etc/trust-engine-hook ]] || fail "after dpkg -P, /etc/trust-engine-hook is still there"
! command -v trust >/dev/null || [[ $(command -v trust) != /usr/bin/trust ]] || fail "/usr/bin/trust still there"
echo "removed: dpkg -r left only the conffile; dpkg -P removed it"
