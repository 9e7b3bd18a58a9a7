//! Where the registry store (`oci://`, docs/registry-store.md) keeps a repository's
//! trust data: the image's own repository (`oci://`, tag [`OWN_TAG`]) or a dedicated
//! trust repository (`oci://HOST[:PORT]/PATH`, one tag per repository named by the
//! GUN's hash). Names only: no I/O, so that [`crate::config`] can check a server URL.

use crate::{Error, Result};
use trust_tuf::reference::Reference;

/// A repository on a registry: `localhost:5000` and `team/app`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryRef {
    /// The registry, as a reference's domain (`docker.io`, `localhost:5000`).
    pub domain: String,
    /// The repository path (`team/app`).
    pub path: String,
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let d = trust_tuf::crypto::backend::digest::digest(&trust_tuf::crypto::backend::digest::SHA256, bytes);
    format!("sha256:{}", hex::encode(d))
}

/// The tag under which the image's own repository keeps its trust data.
pub const OWN_TAG: &str = "tuf-notary-v1";
/// The prefix of a dedicated repository's per-GUN tags.
const DEDICATED_TAG_PREFIX: &str = "tuf-notary-v1-";
/// Hex digits of the GUN's SHA-256 in a dedicated repository's tag.
const TAG_HASH_DIGITS: usize = 32;

/// A parsed `oci://` server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `oci://`: each image's own registry and repository.
    Own,
    /// `oci://HOST[:PORT]/PATH`: one repository for every image's trust data.
    Dedicated(RepositoryRef),
}

/// `url` checked and spelled as the store's URL is reported: a trailing `/` dropped,
/// `oci://` kept whole.
pub fn canonical_url(url: &str) -> Result<String> {
    Location::parse(url)?;
    let trimmed = url.trim_end_matches('/');
    Ok(if trimmed == "oci:" { "oci://".to_owned() } else { trimmed.to_owned() })
}

impl Location {
    /// Parses `oci://` or `oci://HOST[:PORT]/PATH` (a trailing `/` is dropped).
    pub fn parse(url: &str) -> Result<Location> {
        let rest = url.strip_prefix("oci://").ok_or_else(|| invalid(url, "it does not start with oci://"))?;
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() {
            return Ok(Location::Own);
        }
        if rest.contains(['?', '#', '@']) {
            return Err(invalid(url, "a repository name has no query, fragment, tag or digest"));
        }
        let Some((host, path)) = rest.split_once('/') else {
            return Err(invalid(url, "name the trust repository too: oci://HOST[:PORT]/PATH"));
        };
        let looks_like_host = host.contains(['.', ':']) || host == "localhost";
        if !looks_like_host {
            return Err(invalid(url, "the first part must be a registry host (with a dot or a port, or localhost)"));
        }
        let parsed = Reference::parse(rest).map_err(|e| invalid(url, &e.to_string()))?;
        if parsed.tag().is_some() || parsed.digest().is_some() || parsed.domain() != host || parsed.path() != path {
            return Err(invalid(url, "PATH must be a repository name (lowercase letters, digits, separators)"));
        }
        Ok(Location::Dedicated(RepositoryRef { domain: host.to_owned(), path: path.to_owned() }))
    }

    /// The repository and tag holding `gun`'s trust data.
    pub fn of(&self, gun: &str) -> Result<(RepositoryRef, String)> {
        match self {
            Location::Own => {
                let reference = Reference::parse(gun)
                    .map_err(|e| Error::InvalidInput(format!("{gun} is not an image repository name: {e}")))?;
                let repo = RepositoryRef { domain: reference.domain().to_owned(), path: reference.path().to_owned() };
                Ok((repo, OWN_TAG.to_owned()))
            }
            Location::Dedicated(repo) => Ok((repo.clone(), dedicated_tag(gun))),
        }
    }
}

/// A dedicated repository's tag for `gun`.
pub fn dedicated_tag(gun: &str) -> String {
    let digest = sha256_digest(gun.as_bytes());
    let hex = digest.trim_start_matches("sha256:");
    format!("{DEDICATED_TAG_PREFIX}{}", &hex[..TAG_HASH_DIGITS])
}

fn invalid(url: &str, why: &str) -> Error {
    Error::InvalidInput(format!(
        "valid trust server URL required, got {url}: {why} (oci:// keeps trust data in each image's own repository; oci://HOST[:PORT]/PATH in one repository)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_and_dedicated() {
        assert_eq!(Location::parse("oci://").unwrap(), Location::Own);
        assert_eq!(Location::parse("oci:///").unwrap(), Location::Own);
        let d = Location::parse("oci://localhost:5000/trust-data/").unwrap();
        assert_eq!(
            d,
            Location::Dedicated(RepositoryRef { domain: "localhost:5000".into(), path: "trust-data".into() })
        );
        let (repo, tag) = Location::Own.of("localhost:5000/team/app").unwrap();
        assert_eq!((repo.domain.as_str(), repo.path.as_str(), tag.as_str()), ("localhost:5000", "team/app", OWN_TAG));
        let (repo, tag) = Location::Own.of("docker.io/library/alpine").unwrap();
        assert_eq!((repo.domain.as_str(), repo.path.as_str()), ("docker.io", "library/alpine"));
        assert_eq!(tag, OWN_TAG);
        let (repo, tag) = d.of("localhost:5000/team/app").unwrap();
        assert_eq!(repo.path, "trust-data");
        assert!(tag.starts_with("tuf-notary-v1-") && tag.len() == 14 + 32, "{tag}");
        assert_ne!(tag, d.of("localhost:5000/team/other").unwrap().1, "one tag per repository");
    }

    #[test]
    fn refusals() {
        for bad in [
            "oci://trust-data",
            "oci://localhost:5000",
            "oci://localhost:5000/Trust",
            "oci://localhost:5000/a:tag",
            "oci://localhost:5000/a@sha256:00",
            "oci://localhost:5000/a?x=1",
            "https://x",
        ] {
            let e = Location::parse(bad).err().map(|e| e.kind());
            assert_eq!(e, Some(crate::ErrorKind::InvalidInput), "{bad}");
        }
    }
}
