//! One handle for embedding: verify, inspect, sign and revoke images, add and remove
//! signers, refresh timestamps, with the CLI's settings and semantics. The C and Python bindings are thin layers over it.
//!
//! ```no_run
//! use trust_core::workflow::Images;
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

use crate::client::Verified;
use crate::output::inspect;
use crate::publish::Outcome;
use crate::settings::Settings;
use crate::signing::{self, Event};
use crate::{Error, Result};
use trust_tuf::reference::Reference;
use trust_tuf::resolve::TrustInfo;
use trust_tuf::wire::PublicKey;

mod add_key;
mod copy;
mod cosign;
mod local;
mod pull;
mod sign_local;
mod signer;
mod timestamp;

pub use crate::publish::Refreshed;
pub use add_key::{
    GenerateStep, GeneratedKey, NewKeyHome, generate_key, load_key_file, public_key_file, register_token_key,
};
pub use copy::{CopiedRepository, CopyRoute, copy_repositories, copy_repository};
pub use cosign::{RequestSummary, add_signature, publish_request, sign_partial};
pub use local::{Deleted, Discard, StagedChanges, delete, reset, status};
pub use pull::{PullEvent, pull};
pub use sign_local::{LocalEvent, sign_local};
pub use signer::{
    Threshold, check_removable_signer, check_signer_name, signer_add, signer_add_with, signer_remove, threshold_role,
};
pub use timestamp::{parse_lifetime, timestamp_refresh};

/// Verifies, inspects, signs and revokes images; adds and removes signers.
#[derive(Debug, Clone, Default)]
pub struct Images {
    settings: Settings,
}

/// `image` parsed, an error naming it when it is not a reference.
pub(super) fn parse(image: &str) -> Result<Reference> {
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

    /// A handle reading from a bundle verifies only: a bundle takes no changes.
    fn refuse_bundle(&self, what: &str) -> Result<()> {
        match &self.settings.bundle {
            Some(path) => Err(Error::InvalidInput(format!(
                "cannot {what} with trust data from the bundle {}: a bundle is frozen trust data; use a trust server",
                path.display()
            ))),
            None => Ok(()),
        }
    }

    /// Resolves `image` as `docker pull` does with content trust (tag `latest` when
    /// none is given; a digest must be the signed digest of the tag, or of some signed
    /// tag for a bare digest reference) and says who signed it.
    pub fn verify(&self, image: &str) -> Result<Verified> {
        let reference = parse(image)?;
        self.settings.reader_for(&reference)?.verify(&reference)
    }

    /// The verified trust information of `image` (one tag, or every tag when it names
    /// none), with the warnings the update produced.
    pub fn trust_info(&self, image: &str) -> Result<(TrustInfo, Vec<String>)> {
        let reference = parse(image)?;
        self.settings.reader_for(&reference)?.inspect(&reference)
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
        self.refuse_bundle("sign")?;
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
        self.refuse_bundle("revoke")?;
        signing::revoke(&self.settings, image, &mut |_| {})
    }

    /// Adds the signer `name` with the public `keys` to `image`'s repository
    /// ([`signer_add`]): initialises a repository without trust data (which
    /// needs the root passphrase).
    pub fn signer_add(&self, image: &str, name: &str, keys: &[PublicKey]) -> Result<Outcome> {
        self.refuse_bundle("add a signer")?;
        signer_add(&self.settings, image, name, keys)
    }

    /// Removes the signer `name` from `image`'s repository ([`signer_remove`]).
    /// Removing the signer whose keys make `targets/releases` meet its threshold (which
    /// leaves the repository unpullable) takes `force`: without it that case is
    /// refused with docker's question.
    pub fn signer_remove(&self, image: &str, name: &str, force: bool) -> Result<Outcome> {
        self.refuse_bundle("remove a signer")?;
        let mut confirm = |question: &str| {
            if force { Ok(true) } else { Err(Error::InvalidInput(format!("{question} (pass force to go ahead)"))) }
        };
        signer_remove(&self.settings, image, name, &mut confirm)?
            .ok_or_else(|| Error::InvalidInput(format!("signer {name} was not removed from {image}")))
    }

    /// Re-signs the timestamp of `image`'s repository, valid `lifetime` from now, on a
    /// store no server re-signs it on ([`timestamp_refresh`]).
    pub fn timestamp_refresh(&self, image: &str, lifetime: chrono::Duration) -> Result<Refreshed> {
        self.refuse_bundle("refresh a timestamp")?;
        timestamp_refresh(&self.settings, image, lifetime)
    }
}
