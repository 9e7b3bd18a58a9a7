//! The policy: the `content-trust` section of a `daemon.json`, in Docker EE's format,
//! plus what EE lacked (per-scope signers, thresholds, trust servers and TOFU, and a
//! choice for each operation that cannot be verified).
//!
//! ```json
//! {
//!   "content-trust": {
//!     "mode": "enforced",
//!     "trust-pinning": {
//!       "official-library-images": true,
//!       "root-keys": {"registry.example.com/team/*": ["<canonical root key ID>"]},
//!       "cert-ids": {"registry.example.com/team/app": ["<root certificate ID>"]}
//!     },
//!     "allow-expired-cached-trust-data": false,
//!     "scopes": {
//!       "registry.example.com/team/*": {"signers": ["alice", "bob"], "threshold": 2,
//!                                       "server": "https://notary.example.com", "tofu": false},
//!       "docker.io/library/*": {"bundle": "/var/lib/trust/docker-io.tar.gz", "frozen": true}
//!     },
//!     "operations": {"load": "deny", "build": "allow", "service": "verify"}
//!   }
//! }
//! ```
//!
//! A scope with a `bundle` verifies from that trust-data bundle (`trust export`), with
//! no network: its manifest pins each repository's root unless `trust-pinning` does;
//! `frozen` checks expiry as of the export. The bundle is opened once, when the policy
//! is loaded; any bundle error denies.
//!
//! The file may be a whole `daemon.json` (other settings are ignored) or the bare
//! section. Unknown keys inside the section are errors: a typo in a security policy
//! must not silently weaken it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::pattern;

/// The section's key in `daemon.json`.
pub const SECTION: &str = "content-trust";
/// Largest policy file read.
const MAX_POLICY_BYTES: u64 = 4 << 20;

/// What the hook does with a request it would deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Deny it.
    Enforced,
    /// Allow it and log that it would have been denied.
    Permissive,
    /// Verify nothing; allow everything.
    Disabled,
}

impl Mode {
    /// The name used in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforced => "enforced",
            Mode::Permissive => "permissive",
            Mode::Disabled => "disabled",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An engine operation that brings in or renames images without a pull the hook can
/// verify. Each has a policy choice in `operations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// `POST /images/load` (`docker load`).
    Load,
    /// `POST /images/import` and `POST /images/create?fromSrc=` (`docker import`).
    Import,
    /// `POST /build`, and BuildKit's `/grpc` and `/session` (`docker build`, `docker
    /// buildx build`; the build context and its `FROM` lines are not visible).
    Build,
    /// `POST /plugins/pull`, `/plugins/<name>/upgrade`, `/plugins/create` (plugin images).
    PluginPull,
    /// `POST /services/create` and `/services/<id>/update` (swarm services).
    Service,
    /// `POST /images/<name>/tag` (`docker tag`: could give an unverified image a trusted name).
    Tag,
    /// `POST /commit` (`docker commit`).
    Commit,
    /// `POST /images/create?fromImage=<name>` with no tag (`docker pull --all-tags`).
    PullAllTags,
}

impl Operation {
    /// Every operation, in the order summaries list them.
    pub const ALL: [Operation; 8] = [
        Operation::Load,
        Operation::Import,
        Operation::Build,
        Operation::PluginPull,
        Operation::Service,
        Operation::Tag,
        Operation::Commit,
        Operation::PullAllTags,
    ];

    /// The key in `operations`.
    pub fn key(self) -> &'static str {
        match self {
            Operation::Load => "load",
            Operation::Import => "import",
            Operation::Build => "build",
            Operation::PluginPull => "plugin-pull",
            Operation::Service => "service",
            Operation::Tag => "tag",
            Operation::Commit => "commit",
            Operation::PullAllTags => "pull-all-tags",
        }
    }

    /// The operation with this `operations` key.
    pub fn from_key(key: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.key() == key)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The policy's choice for an [`Operation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Allow it.
    Allow,
    /// Deny it (the default).
    Deny,
    /// Verify the image it names like a pull (`service` only: the image is in the body).
    Verify,
}

impl Choice {
    /// The name used in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Allow => "allow",
            Choice::Deny => "deny",
            Choice::Verify => "verify",
        }
    }
}

/// What a scope requires of the repositories it matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Signer names (delegation roles without `targets/`, as `docker trust` names them).
    /// Empty: any release (in `targets/releases` or `targets`) is enough.
    pub signers: Vec<String>,
    /// How many of `signers` must hold the release with the same digest.
    pub threshold: usize,
    /// The trust server; else `DOCKER_CONTENT_TRUST_SERVER`, else docker's default.
    pub server: Option<String>,
    /// Trust a repository's first root on first use when nothing pins it.
    pub tofu: bool,
    /// Verify from this trust-data bundle instead of a trust server (no network).
    pub bundle: Option<ScopeBundle>,
}

/// A scope's `"bundle"` and `"frozen"`: where its trust data is, and as of when
/// expiry is checked.
#[derive(Debug, Clone)]
pub struct ScopeBundle {
    /// The bundle (directory or archive), an absolute path.
    pub path: PathBuf,
    /// Check expiry as of each repository's export instead of now.
    pub frozen: bool,
    /// The bundle, opened and its manifest parsed once when the policy is loaded
    /// ([`Policy::load`]); `None` after [`Policy::from_json`] alone, and then every
    /// verification from it fails (closed).
    pub opened: Option<trust_core::bundle::Bundle>,
}

impl PartialEq for ScopeBundle {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.frozen == other.frozen && self.opened.is_some() == other.opened.is_some()
    }
}

impl Eq for ScopeBundle {}

/// A scope and the pattern that selected it (`None`: the default scope).
#[derive(Debug, Clone, Copy)]
pub struct ScopeRef<'p> {
    /// The matching pattern in `scopes`, or `None` when no scope matched.
    pub pattern: Option<&'p str>,
    /// The scope's settings.
    pub scope: &'p Scope,
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Enforced, permissive or disabled.
    pub mode: Mode,
    /// `trust-pinning.root-keys`: GUN or `prefix*` → canonical root key IDs (lowercase hex).
    pub root_keys: BTreeMap<String, Vec<String>>,
    /// `trust-pinning.cert-ids`: exact GUN → root certificate IDs (lowercase hex).
    pub cert_ids: BTreeMap<String, Vec<String>>,
    /// `trust-pinning.official-library-images`: pin `docker.io/library/*` to Docker's
    /// official images root keys.
    pub official_library_images: bool,
    /// `allow-expired-cached-trust-data`: when the trust server cannot be reached, use
    /// cached trust data even if it has expired.
    pub allow_expired_cached_trust_data: bool,
    /// `scopes`: GUN or `prefix*` → requirements.
    pub scopes: BTreeMap<String, Scope>,
    /// `operations`: the choice for each operation (every operation is present).
    pub operations: BTreeMap<Operation, Choice>,
    /// Non-fatal remarks found while validating (e.g. a pattern that can match nothing).
    pub warnings: Vec<String>,
    default_scope: Scope,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSection {
    mode: Option<String>,
    #[serde(default)]
    trust_pinning: RawPinning,
    #[serde(default)]
    allow_expired_cached_trust_data: bool,
    #[serde(default)]
    scopes: BTreeMap<String, RawScope>,
    #[serde(default)]
    operations: BTreeMap<String, String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPinning {
    #[serde(default)]
    root_keys: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    cert_ids: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    official_library_images: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawScope {
    #[serde(default)]
    signers: Vec<String>,
    threshold: Option<usize>,
    server: Option<String>,
    #[serde(default)]
    tofu: bool,
    bundle: Option<PathBuf>,
    #[serde(default)]
    frozen: bool,
}

impl Policy {
    /// Reads and validates the policy file at `path`.
    pub fn load(path: &Path) -> Result<Policy> {
        use std::io::Read as _;
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut bytes = Vec::new();
        file.take(MAX_POLICY_BYTES + 1).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
        if bytes.len() as u64 > MAX_POLICY_BYTES {
            return Err(Error::policy(path, format!("larger than {MAX_POLICY_BYTES} bytes")));
        }
        let mut policy = Policy::from_json(&bytes).map_err(|message| Error::policy(path, message))?;
        policy.open_bundles().map_err(|message| Error::policy(path, message))?;
        Ok(policy)
    }

    /// Opens every scope's bundle and parses its manifest (once, here: requests
    /// reuse it). The error names the scope and what is wrong with its bundle.
    pub fn open_bundles(&mut self) -> Result<(), String> {
        for (pattern, scope) in &mut self.scopes {
            if let Some(b) = &mut scope.bundle {
                let opened = trust_core::bundle::Bundle::open(&b.path)
                    .map_err(|e| format!("{SECTION}.scopes[{pattern:?}].bundle: {e}"))?;
                b.opened = Some(opened);
            }
        }
        Ok(())
    }

    /// Parses and validates a policy: a `daemon.json` with a `content-trust` section,
    /// or the bare section. The error names the setting that is wrong.
    pub fn from_json(bytes: &[u8]) -> Result<Policy, String> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
        let serde_json::Value::Object(mut top) = value else {
            return Err("not a JSON object".into());
        };
        let section = match top.remove(SECTION) {
            Some(section) => section,
            None if top.contains_key("mode") => serde_json::Value::Object(top),
            None => return Err(format!("no \"{SECTION}\" section (a daemon.json with one, or the section itself)")),
        };
        let raw: RawSection = serde_json::from_value(section).map_err(|e| format!("{SECTION}: {e}"))?;
        Policy::validate(raw)
    }

    fn validate(raw: RawSection) -> Result<Policy, String> {
        let mut warnings = Vec::new();
        let mode = match raw.mode.as_deref() {
            Some("enforced") => Mode::Enforced,
            Some("permissive") => Mode::Permissive,
            Some("disabled") => Mode::Disabled,
            Some(other) => {
                return Err(format!("{SECTION}.mode: {other:?} is not one of enforced, permissive, disabled"));
            }
            None => return Err(format!("{SECTION}.mode is required: enforced, permissive or disabled")),
        };
        let pins = raw.trust_pinning;
        let root_keys = check_id_map("trust-pinning.root-keys", pins.root_keys, true, &mut warnings)?;
        let cert_ids = check_id_map("trust-pinning.cert-ids", pins.cert_ids, false, &mut warnings)?;
        let mut scopes = BTreeMap::new();
        for (pattern, scope) in raw.scopes {
            let where_ = format!("{SECTION}.scopes[{pattern:?}]");
            pattern::check(&pattern).map_err(|e| format!("{where_}: {e}"))?;
            if let Some(hint) = pattern::qualification_hint(&pattern) {
                warnings.push(format!("{where_}: {hint}"));
            }
            let scope = check_scope(&where_, scope)?;
            scopes.insert(pattern, scope);
        }
        let mut operations: BTreeMap<Operation, Choice> = Operation::ALL.iter().map(|op| (*op, Choice::Deny)).collect();
        for (key, value) in raw.operations {
            let where_ = format!("{SECTION}.operations.{key}");
            let op = Operation::from_key(&key).ok_or_else(|| {
                let known: Vec<&str> = Operation::ALL.iter().map(|op| op.key()).collect();
                format!("{SECTION}.operations: unknown operation {key:?} (known: {})", known.join(", "))
            })?;
            let choice = match value.as_str() {
                "allow" => Choice::Allow,
                "deny" => Choice::Deny,
                "verify" if op == Operation::Service => Choice::Verify,
                "verify" => return Err(format!("{where_}: \"verify\" is possible for \"service\" only")),
                other => return Err(format!("{where_}: {other:?} is not \"allow\" or \"deny\"")),
            };
            operations.insert(op, choice);
        }
        if pins.official_library_images {
            warnings
                .push(format!("trust-pinning.official-library-images: {}", trust_core::retired::OFFICIAL_IMAGES_NOTE));
        }
        let any_pin = pins.official_library_images || !root_keys.is_empty() || !cert_ids.is_empty();
        // A bundle's manifest pins the roots of the repositories it holds.
        let any_tofu = scopes.values().any(|s| s.tofu || s.bundle.is_some());
        if mode != Mode::Disabled && !any_pin && !any_tofu {
            return Err(format!(
                "{SECTION}: no trust pinning: set trust-pinning.official-library-images, root-keys or cert-ids, \
                 or let a scope trust on first use (\"tofu\": true)"
            ));
        }
        Ok(Policy {
            mode,
            root_keys,
            cert_ids,
            official_library_images: pins.official_library_images,
            allow_expired_cached_trust_data: raw.allow_expired_cached_trust_data,
            scopes,
            operations,
            warnings,
            default_scope: Scope::default(),
        })
    }

    /// The scope for `gun`: an exact pattern, else the longest matching `prefix*`,
    /// else the default scope (no signer requirement, docker's server, no TOFU).
    pub fn scope_for(&self, gun: &str) -> ScopeRef<'_> {
        match pattern::best(&self.scopes, gun) {
            Some((pattern, scope)) => ScopeRef { pattern: Some(pattern), scope },
            None => ScopeRef { pattern: None, scope: &self.default_scope },
        }
    }

    /// The choice for `op`.
    pub fn operation(&self, op: Operation) -> Choice {
        self.operations.get(&op).copied().unwrap_or(Choice::Deny)
    }

    /// The same policy in another mode (for `explain` and tests).
    pub fn with_mode(&self, mode: Mode) -> Policy {
        Policy { mode, ..self.clone() }
    }
}

/// Validates a map of patterns to key IDs: patterns (wildcards only when allowed),
/// non-empty lists, 64 hex digits (lowercased).
fn check_id_map(
    name: &str,
    map: BTreeMap<String, Vec<String>>,
    wildcards: bool,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut out = BTreeMap::new();
    for (pattern, ids) in map {
        let where_ = format!("{SECTION}.{name}[{pattern:?}]");
        pattern::check(&pattern).map_err(|e| format!("{where_}: {e}"))?;
        if !wildcards && pattern::is_wildcard(&pattern) {
            return Err(format!("{where_}: cert-ids take exact repository names, not wildcards"));
        }
        if let Some(hint) = pattern::qualification_hint(&pattern) {
            warnings.push(format!("{where_}: {hint}"));
        }
        if ids.is_empty() {
            return Err(format!("{where_}: an empty list of IDs would pin the repository to nothing"));
        }
        let mut checked = Vec::with_capacity(ids.len());
        for id in ids {
            let lower = id.to_ascii_lowercase();
            if lower.len() != 64 || !lower.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("{where_}: {id:?} is not a key ID (64 hex digits)"));
            }
            checked.push(lower);
        }
        out.insert(pattern, checked);
    }
    Ok(out)
}

/// Validates one scope: signer names, threshold, server URL.
fn check_scope(where_: &str, raw: RawScope) -> Result<Scope, String> {
    let mut signers: Vec<String> = Vec::with_capacity(raw.signers.len());
    for name in raw.signers {
        let short = name.strip_prefix("targets/").unwrap_or(&name).to_owned();
        let valid = !short.is_empty()
            && short != "releases"
            && short != "targets"
            && short.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
            && !short.chars().any(|c| c.is_whitespace() || c.is_control() || c == '*');
        if !valid {
            return Err(format!(
                "{where_}.signers: {name:?} is not a signer role name (e.g. \"alice\" for targets/alice)"
            ));
        }
        if signers.contains(&short) {
            return Err(format!("{where_}.signers: {name:?} is listed twice"));
        }
        signers.push(short);
    }
    let threshold = match raw.threshold {
        Some(0) => return Err(format!("{where_}.threshold must be at least 1")),
        Some(_) if signers.is_empty() => return Err(format!("{where_}.threshold needs a list of signers")),
        Some(t) if t > signers.len() => {
            return Err(format!("{where_}.threshold {t} is more than the {} signers listed", signers.len()));
        }
        Some(t) => t,
        None => signers.len(),
    };
    // The server as trust-core spells it (`https://host` without a trailing `/`;
    // `oci://` stays `oci://`, not `oci:`).
    let server = match &raw.server {
        Some(url) => {
            let probe = trust_core::reference::Reference::parse("example.com/probe").map_err(|e| e.to_string())?;
            Some(trust_core::config::trust_server(&probe, Some(url)).map_err(|e| format!("{where_}.server: {e}"))?)
        }
        None => None,
    };
    let bundle = match raw.bundle {
        Some(_) if raw.server.is_some() => {
            return Err(format!("{where_}: a scope takes its trust data from a \"server\" or a \"bundle\", not both"));
        }
        Some(path) if !path.is_absolute() => {
            return Err(format!("{where_}.bundle: {} is not an absolute path", path.display()));
        }
        Some(path) => Some(ScopeBundle { path, frozen: raw.frozen, opened: None }),
        None if raw.frozen => return Err(format!("{where_}.frozen needs a \"bundle\"")),
        None => None,
    };
    Ok(Scope { signers, threshold, server, tofu: raw.tofu, bundle })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0b6101527b2ac766702e4b40aa2391805b70e5031c04714c748f914e89014403";

    fn parse(json: &str) -> Result<Policy, String> {
        Policy::from_json(json.as_bytes())
    }

    #[test]
    fn bare_section_and_daemon_json() {
        let bare = format!(r#"{{"mode":"enforced","trust-pinning":{{"root-keys":{{"docker.io/*":["{ID}"]}}}}}}"#);
        let wrapped = format!(r#"{{"debug":true,"content-trust":{bare}}}"#);
        assert_eq!(parse(&bare).unwrap(), parse(&wrapped).unwrap());
        assert!(parse(r#"{"debug":true}"#).unwrap_err().contains("no \"content-trust\" section"));
    }

    #[test]
    fn defaults_deny_every_operation_and_require_all_signers() {
        let p = parse(&format!(
            r#"{{"mode":"permissive","trust-pinning":{{"root-keys":{{"docker.io/*":["{ID}"]}}}},
                "scopes":{{"docker.io/*":{{"signers":["alice","targets/bob"]}}}}}}"#
        ))
        .unwrap();
        assert!(Operation::ALL.iter().all(|op| p.operation(*op) == Choice::Deny));
        let s = p.scope_for("docker.io/library/alpine");
        assert_eq!(s.scope.signers, ["alice", "bob"]);
        assert_eq!(s.scope.threshold, 2);
    }

    #[test]
    fn invalid_values_are_named() {
        let cases = [
            (r#"{"mode":"strict"}"#, "content-trust.mode: \"strict\""),
            (r#"{"mode":"enforced"}"#, "no trust pinning"),
            (r#"{"mode":"enforced","extra":1}"#, "unknown field `extra`"),
            (r#"{"mode":"enforced","trust-pinning":{"root-keys":{"a.io/*":[]}}}"#, "empty list"),
            (r#"{"mode":"enforced","trust-pinning":{"root-keys":{"a.io/*":["xyz"]}}}"#, "not a key ID"),
            (r#"{"mode":"enforced","scopes":{"a.io/*":{"tofu":true,"threshold":1}}}"#, "needs a list of signers"),
            (r#"{"mode":"enforced","scopes":{"a.io/*":{"tofu":true,"signers":["a"],"threshold":2}}}"#, "more than"),
            (r#"{"mode":"enforced","scopes":{"a.io/*":{"tofu":true,"server":"http://x"}}}"#, "valid https URL"),
            (r#"{"mode":"enforced","scopes":{"a*b":{"tofu":true}}}"#, "only at the end"),
            (r#"{"mode":"enforced","scopes":{"a.io/*":{"bundle":"/b","server":"https://x"}}}"#, "not both"),
            (r#"{"mode":"enforced","scopes":{"a.io/*":{"bundle":"b"}}}"#, "not an absolute path"),
            (r#"{"mode":"enforced","scopes":{"a.io/*":{"tofu":true,"frozen":true}}}"#, "frozen needs a \"bundle\""),
            (r#"{"mode":"enforced","scopes":{"a.io/*":{"tofu":true}},"operations":{"load":"maybe"}}"#, "\"maybe\""),
            (r#"{"mode":"enforced","scopes":{"a.io/*":{"tofu":true}},"operations":{"pull":"deny"}}"#, "unknown op"),
            (
                r#"{"mode":"enforced","scopes":{"a.io/*":{"tofu":true}},"operations":{"load":"verify"}}"#,
                "for \"service\" only",
            ),
        ];
        for (json, expected) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }

    #[test]
    fn registry_store_servers() {
        let scope = |server: &str| {
            parse(&format!(r#"{{"mode":"enforced","scopes":{{"a.io/*":{{"tofu":true,"server":"{server}"}}}}}}"#))
                .map(|p| p.scope_for("a.io/app").scope.server.clone())
        };
        // The image's own repository, with or without a trailing slash.
        assert_eq!(scope("oci://").unwrap().as_deref(), Some("oci://"));
        assert_eq!(scope("oci:///").unwrap().as_deref(), Some("oci://"));
        // A dedicated trust repository.
        assert_eq!(
            scope("oci://localhost:5000/trust-data").unwrap().as_deref(),
            Some("oci://localhost:5000/trust-data")
        );
        assert_eq!(
            scope("oci://localhost:5000/trust-data/").unwrap().as_deref(),
            Some("oci://localhost:5000/trust-data")
        );
        assert_eq!(scope("https://notary.example/").unwrap().as_deref(), Some("https://notary.example"));
        // A host with no repository path.
        let err = scope("oci://trust").unwrap_err();
        assert!(err.starts_with("content-trust.scopes[\"a.io/*\"].server: "), "{err}");
        assert!(err.contains("got oci://trust: name the trust repository too"), "{err}");
        // A registry store is a server: not with a bundle.
        let err = parse(r#"{"mode":"enforced","scopes":{"a.io/*":{"bundle":"/b","server":"oci://"}}}"#).unwrap_err();
        assert!(err.contains("not both"), "{err}");
    }

    #[test]
    fn disabled_needs_no_pinning() {
        assert_eq!(parse(r#"{"mode":"disabled"}"#).unwrap().mode, Mode::Disabled);
    }

    #[test]
    fn official_images_pin_warns_that_they_no_longer_verify() {
        let p = parse(r#"{"mode":"enforced","trust-pinning":{"official-library-images":true}}"#).unwrap();
        let warning = p.warnings.iter().find(|w| w.starts_with("trust-pinning.official-library-images")).unwrap();
        assert!(warning.contains("expired from August 2025") && warning.contains("2026-12-08"), "{warning}");
        let p = parse(&format!(r#"{{"mode":"enforced","trust-pinning":{{"root-keys":{{"docker.io/*":["{ID}"]}}}}}}"#))
            .unwrap();
        assert!(p.warnings.iter().all(|w| !w.contains("official")));
    }
}
