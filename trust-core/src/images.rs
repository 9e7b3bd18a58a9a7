//! One handle for embedding: verify, inspect, sign and revoke images with the CLI's
//! settings and semantics. The C and Python bindings are thin layers over it.
//!
//! ```no_run
//! use trust_core::images::Images;
//! use trust_core::settings::Settings;
//!
//! let images = Images::new(Settings::default());
//! let verified = images.verify("registry.example.com/app:1.0")?;
//! println!("{} signed by {}", verified.digest, verified.signers.join(", "));
//! # Ok::<(), trust_core::Error>(())
//! ```
//!
//! A handle holds settings only; every call opens its own client, so one handle may be
//! used from several threads at once (the cache and the keystore are written
//! atomically, and publishes to one repository are serialised by a lock file).

use serde::Serialize;

use crate::client::Repository;
use crate::reference::Reference;
use crate::resolve::{FoundTarget, REPO_ADMIN, TrustInfo};
use crate::settings::Settings;
use crate::signing::{self, Event};
use crate::{Error, Result, inspect};

/// A verified image: what `trust verify` prints.
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
    /// Warnings worth showing (for example a root close to its expiry).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Verifies, inspects, signs and revokes images.
#[derive(Debug, Clone, Default)]
pub struct Images {
    settings: Settings,
}

fn parse(image: &str) -> Result<Reference> {
    Reference::parse(image).map_err(|e| Error::InvalidInput(format!("{image}: {e}")))
}

impl Images {
    /// A handle with `settings` (defaults are docker's: `~/.docker/trust`, the server
    /// for the registry, docker's certificate directories).
    pub fn new(settings: Settings) -> Self {
        Images { settings }
    }

    /// The settings in effect.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Resolves `image` as `docker pull` does with content trust (tag `latest` when
    /// none is given; a digest must be the signed digest of the tag, or of some signed
    /// tag for a bare digest reference) and says who signed it.
    pub fn verify(&self, image: &str) -> Result<Verified> {
        let reference = parse(image)?;
        let client = self.settings.client_for(&reference)?;
        let mut repo = client.update()?;
        let found = verified_target(&mut repo, &reference)?;
        let signers = signers_of(&mut repo, &found)?;
        Ok(Verified {
            digest: format!("sha256:{}", found.digest_hex()),
            size: found.meta.length,
            role: found.role,
            signers,
            warnings: repo.warnings().to_vec(),
        })
    }

    /// The verified trust information of `image` (one tag, or every tag when it names
    /// none), with the warnings the update produced.
    pub fn trust_info(&self, image: &str) -> Result<(TrustInfo, Vec<String>)> {
        let reference = parse(image)?;
        let client = self.settings.client_for(&reference)?;
        let mut repo = client.update()?;
        let info = repo.trust_info(reference.tag())?;
        Ok((info, repo.warnings().to_vec()))
    }

    /// `docker trust inspect IMAGE`'s JSON: an array with one object for `image`.
    pub fn inspect_json(&self, image: &str) -> Result<String> {
        let (info, _) = self.trust_info(image)?;
        Ok(inspect::json(&[(image.to_owned(), info)]))
    }

    /// Signs `image` (`IMAGE:TAG`) for the manifest `digest` (`sha256:<hex>`) of
    /// `size` bytes, or, when `manifest` is None, for the manifest the registry serves
    /// for the tag. A repository without trust data is initialised (which needs the
    /// root passphrase); otherwise the tag goes into every role the local keys sign.
    pub fn sign(&self, image: &str, manifest: Option<(&str, u64)>) -> Result<Vec<Event>> {
        let target = match manifest {
            Some((digest, size)) => signing::tag_target(image, digest, size)?,
            None => signing::tag_targets_from_registry(&self.settings, &[image.to_owned()])?
                .pop()
                .ok_or_else(|| Error::InvalidInput(format!("nothing to sign for {image}")))?,
        };
        let mut events = Vec::new();
        signing::sign(&self.settings, &[target], &mut |e| events.push(e))?;
        Ok(events)
    }

    /// Removes the signature of `image`'s tag, or of all its tags when it names none.
    pub fn revoke(&self, image: &str) -> Result<()> {
        signing::revoke(&self.settings, image, &mut |_| {})
    }
}

/// The signed target `reference` names: a tag (default `latest`) resolved as `docker
/// pull` does, whose digest must match when one is given; or, for a bare digest
/// reference, a release whose digest it is.
pub fn verified_target(repo: &mut Repository<'_>, reference: &Reference) -> Result<FoundTarget> {
    let wanted = reference.digest().map(|d| d.strip_prefix("sha256:").unwrap_or(d).to_owned());
    let found = match (reference.tag(), &wanted) {
        (None, Some(hex)) => repo
            .releases_of_digest(hex)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::DigestNotSigned { gun: reference.gun(), digest: format!("sha256:{hex}") })?,
        (tag, _) => repo.release(tag.unwrap_or("latest"))?,
    };
    if found.meta.hashes.sha256.is_none() {
        return Err(Error::verification(&found.role, format!("the release of {} has no sha256 digest", found.name)));
    }
    if let Some(hex) = wanted.filter(|hex| *hex != found.digest_hex()) {
        return Err(Error::verification(
            &found.role,
            format!("the signed digest of {} is sha256:{}, not sha256:{hex}", found.name, found.digest_hex()),
        ));
    }
    Ok(found)
}

/// Who signed `found`'s digest for its tag (`Repo Admin` when only the targets key did).
pub fn signers_of(repo: &mut Repository<'_>, found: &FoundTarget) -> Result<Vec<String>> {
    let info = repo.trust_info(Some(&found.name))?;
    Ok(info
        .released
        .into_iter()
        .find(|r| r.digest == found.digest_hex())
        .map(|r| r.signers)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| vec![REPO_ADMIN.to_owned()]))
}
