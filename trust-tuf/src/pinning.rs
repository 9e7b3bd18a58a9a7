//! Trust pinning: how the first root of a repository is trusted.
//!
//! The notary client's `trust_pinning` configuration, per GUN:
//! - `certs`: exact GUN or `prefix*` → the root certificate IDs (TUF IDs of the
//!   certificate keys, or canonical root key IDs) one of which must sign the root;
//! - `ca`: GUN prefix → a PEM file of CA certificates the root certificate must chain to;
//! - `disable_tofu`: refuse repositories matched by neither (TOFU is on by default, as in docker).
//!
//! Pinning applies when a client has no cached root for the repository. Later roots
//! are trusted through the chain of root versions, each signed by its predecessor.
//!
//! These are the rules only: the caller reads the pinning file and the CA bundle a
//! [`Pin::Ca`] names ([`Pin::with_ca`]), and hands the trusted set the bundle's bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Error, Result};

/// A trust pinning configuration, in notary's `trust_pinning` JSON shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustPinning {
    /// GUN or `prefix*` → pinned certificate / root key IDs.
    #[serde(default)]
    pub certs: BTreeMap<String, Vec<String>>,
    /// GUN prefix → CA bundle file.
    #[serde(default)]
    pub ca: BTreeMap<String, PathBuf>,
    /// Refuse repositories with no pin instead of trusting on first use.
    #[serde(default)]
    pub disable_tofu: bool,
}

/// The entry of `map` whose repository pattern matches `gun` most specifically: the
/// exact name, else the longest matching `prefix*` wildcard.
pub fn most_specific<'m, V>(map: &'m BTreeMap<String, V>, gun: &str) -> Option<(&'m str, &'m V)> {
    if let Some((k, v)) = map.get_key_value(gun).filter(|(k, _)| !k.ends_with('*')) {
        return Some((k.as_str(), v));
    }
    map.iter()
        .filter_map(|(k, v)| k.strip_suffix('*').filter(|prefix| gun.starts_with(prefix)).map(|p| (p.len(), k, v)))
        .max_by_key(|(len, _, _)| *len)
        .map(|(_, k, v)| (k.as_str(), v))
}

/// What pinning requires of a repository's first root. `Ca` is where the CA bundle
/// is: its path as configured (`Pin`), or its PEM bytes once read (`Pin<Vec<u8>>`,
/// what [`crate::trusted::TrustedSet::from_bootstrap_root`] checks against).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin<Ca = PathBuf> {
    /// One of these IDs (certificate TUF ID or canonical key ID) must sign the root.
    Certs(Vec<String>),
    /// The root certificate must chain to a CA in this PEM bundle.
    Ca(Ca),
    /// Trust on first use.
    Tofu,
    /// No pin and TOFU disabled.
    Refuse,
}

impl Pin {
    /// This pin with the CA bundle of [`Pin::Ca`] read by `read` (the others unchanged).
    pub fn with_ca<E>(&self, read: impl FnOnce(&Path) -> Result<Vec<u8>, E>) -> Result<Pin<Vec<u8>>, E> {
        Ok(match self {
            Pin::Certs(ids) => Pin::Certs(ids.clone()),
            Pin::Ca(path) => Pin::Ca(read(path)?),
            Pin::Tofu => Pin::Tofu,
            Pin::Refuse => Pin::Refuse,
        })
    }
}

impl TrustPinning {
    /// Reads a pinning file: either a bare `trust_pinning` object or a notary client
    /// config with a `trust_pinning` member.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        struct Wrapped {
            trust_pinning: TrustPinning,
        }
        if let Ok(w) = serde_json::from_slice::<Wrapped>(bytes) {
            return Ok(w.trust_pinning);
        }
        serde_json::from_slice(bytes)
            .map_err(|e| Error::InvalidInput(format!("invalid trust pinning configuration: {e}")))
    }

    /// The pin for `gun`: exact `certs`, then the longest matching `certs` wildcard,
    /// then the longest `ca` prefix, then TOFU unless disabled.
    pub fn pin_for(&self, gun: &str) -> Pin {
        if let Some((_, ids)) = most_specific(&self.certs, gun) {
            return Pin::Certs(ids.clone());
        }
        let ca = self
            .ca
            .iter()
            .filter(|(prefix, _)| gun.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len());
        if let Some((_, path)) = ca {
            return Pin::Ca(path.clone());
        }
        if self.disable_tofu { Pin::Refuse } else { Pin::Tofu }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pinning() -> TrustPinning {
        TrustPinning::from_json(
            br#"{"trust_pinning":{"certs":{"docker.io/library/alpine":["aa"],"example.com/*":["bb"],"example.com/team/*":["cc"]},
                 "ca":{"corp.example/":"/etc/ca.pem"},"disable_tofu":true}}"#,
        )
        .unwrap()
    }

    #[test]
    fn precedence_exact_then_longest_wildcard_then_ca() {
        let p = pinning();
        assert_eq!(p.pin_for("docker.io/library/alpine"), Pin::Certs(vec!["aa".into()]));
        assert_eq!(p.pin_for("example.com/x"), Pin::Certs(vec!["bb".into()]));
        assert_eq!(p.pin_for("example.com/team/x"), Pin::Certs(vec!["cc".into()]));
        assert_eq!(p.pin_for("corp.example/app"), Pin::Ca("/etc/ca.pem".into()));
        assert_eq!(p.pin_for("other/app"), Pin::Refuse);
        assert_eq!(TrustPinning::default().pin_for("other/app"), Pin::Tofu);
    }

    #[test]
    fn unknown_fields_are_errors() {
        assert!(TrustPinning::from_json(br#"{"cert":{}}"#).is_err());
    }
}
