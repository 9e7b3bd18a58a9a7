//! The verify workflow: what a repository's verified trust data says about an image
//! reference, as `docker pull` resolves it with content trust. The CLI's `trust
//! verify`, the engine hook and both bindings answer from [`Repository::verify`] (or,
//! for the hook, which judges a pinned digest against its own policy,
//! [`Repository::look_up`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Repository;
use crate::{Error, Result};
use trust_tuf::reference::Reference;
use trust_tuf::resolve::{self, FoundTarget, RELEASES_ROLE, REPO_ADMIN, ReleasedTag};

/// One signed release of a repository: a tag in `targets/releases` or `targets`
/// (docker's `matchReleasedSignatures` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The tag.
    pub tag: String,
    /// Hex SHA-256 of the manifest.
    pub digest_hex: String,
    /// Delegation roles holding the same tag and digest, as docker names them
    /// (`alice`); empty when only the repository admin signed.
    pub signers: Vec<String>,
}

impl From<ReleasedTag> for Release {
    fn from(r: ReleasedTag) -> Self {
        Release { tag: r.tag, digest_hex: r.digest, signers: r.signers }
    }
}

/// A verified image reference: what `trust verify` prints, and what the engine hook
/// judges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// The signed manifest digest, `sha256:<hex>`.
    pub digest: String,
    /// The signed manifest size in bytes.
    pub size: u64,
    /// The role whose signature the tag was resolved from (`targets/releases` or `targets`).
    pub role: String,
    /// Who signed that digest for the tag (`Repo Admin` for the targets key).
    pub signers: Vec<String>,
    /// For a tag: its release. For a digest alone: every release pointing to it, in
    /// docker's order (tags in natural order). Never empty.
    #[serde(skip)]
    pub releases: Vec<Release>,
    /// The earliest expiry among the trusted metadata used to answer (root,
    /// timestamp, snapshot, targets and every delegation loaded).
    #[serde(skip)]
    pub expires: Option<DateTime<Utc>>,
    /// Warnings worth showing (for example a root close to its expiry, an expired
    /// delegation, an answer from cached trust data).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Repository<'_> {
    /// Resolves `reference` as `docker pull` does with content trust (tag `latest`
    /// when none is given; a digest must be the signed digest of the tag, or of some
    /// signed tag for a bare digest reference) and says who signed it.
    pub fn verify(&mut self, reference: &Reference) -> Result<Verified> {
        let verified = self.look_up(reference)?;
        match reference.digest() {
            Some(wanted) if reference.tag().is_some() && Some(wanted) != Some(verified.digest.as_str()) => {
                let tag = reference.tag().unwrap_or("latest");
                Err(Error::verification(
                    &verified.role,
                    format!("the signed digest of {tag} is {}, not {wanted}", verified.digest),
                ))
            }
            _ => Ok(verified),
        }
    }

    /// What the trust data says about `reference`, a digest given with a tag not yet
    /// checked: the tag's release (`latest` when neither a tag nor a digest is given),
    /// or for a bare digest every release pointing to it, the first one in the walk
    /// (`targets` before `targets/releases`, tags in byte order) answering.
    pub fn look_up(&mut self, reference: &Reference) -> Result<Verified> {
        let (found, releases) = match (reference.tag(), reference.digest()) {
            (None, Some(digest)) => self.releases_of_digest(&reference.gun(), digest)?,
            (tag, _) => self.release_of_tag(tag.unwrap_or("latest"))?,
        };
        if found.meta.hashes.sha256.is_none() {
            return Err(Error::verification(
                &found.role,
                format!("the release of {} has no sha256 digest", found.name),
            ));
        }
        let signers = releases
            .iter()
            .find(|r| r.tag == found.name && r.digest_hex == found.digest_hex())
            .map(|r| r.signers.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| vec![REPO_ADMIN.to_owned()]);
        Ok(Verified {
            digest: format!("sha256:{}", found.digest_hex()),
            size: found.meta.length,
            role: found.role,
            signers,
            releases,
            expires: self.earliest_expiry(),
            warnings: self.warnings().to_vec(),
        })
    }

    /// The release of `tag` and its row with the signers holding the same digest
    /// (only the roles that may sign `tag` are read).
    fn release_of_tag(&mut self, tag: &str) -> Result<(FoundTarget, Vec<Release>)> {
        let found = self.release(tag)?;
        let digest_hex = found.digest_hex();
        let rows = resolve::released_tags(&resolve::all_targets(self, Some(tag))?);
        self.commit_unless_held()?;
        let signers = rows.into_iter().find(|r| r.digest == digest_hex).map(|r| r.signers).unwrap_or_default();
        let release = Release { tag: tag.to_owned(), digest_hex, signers };
        Ok((found, vec![release]))
    }

    /// Every release whose digest is `digest` (`sha256:<hex>`), with its signers, and
    /// the first target in the walk releasing it (docker EE's reverse lookup).
    fn releases_of_digest(&mut self, gun: &str, digest: &str) -> Result<(FoundTarget, Vec<Release>)> {
        let hex = digest.strip_prefix("sha256:").ok_or_else(|| {
            Error::InvalidInput(format!("{digest}: only sha256 digests can be checked against trust data"))
        })?;
        let found = resolve::all_targets(self, None)?;
        self.commit_unless_held()?;
        let releases: Vec<Release> =
            resolve::released_tags(&found).into_iter().filter(|r| r.digest == hex).map(Release::from).collect();
        let first = found
            .into_iter()
            .find(|t| (t.role == "targets" || t.role == RELEASES_ROLE) && t.digest_hex() == hex)
            .ok_or_else(|| Error::DigestNotSigned { gun: gun.to_owned(), digest: digest.to_owned() })?;
        Ok((first, releases))
    }

    /// The earliest expiry among the trusted metadata: root, timestamp, snapshot,
    /// targets and every delegation that was loaded.
    pub fn earliest_expiry(&self) -> Option<DateTime<Utc>> {
        let set = self.trusted();
        let mut times = vec![set.root().signed.expires.at()];
        times.extend(set.timestamp().map(|t| t.signed.expires.at()));
        times.extend(set.snapshot().map(|s| s.signed.expires.at()));
        let mut queue: Vec<String> = vec!["targets".into()];
        let mut seen = std::collections::HashSet::new();
        while let Some(role) = queue.pop() {
            if !seen.insert(role.clone()) {
                continue;
            }
            let verified = if role == "targets" { set.targets() } else { set.delegation(&role) };
            if let Some(v) = verified {
                times.push(v.signed.expires.at());
                queue.extend(v.signed.delegations.roles.iter().map(|r| r.name.clone()));
            }
        }
        times.into_iter().min()
    }
}
