//! A verifying client for reading a repository's trust data, from a trust server or
//! from a bundle ([`crate::bundle`]), and where its answer came from.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::client::{Client, Repository, Verified};
use crate::{Error, Result};
use trust_tuf::reference::Reference;
use trust_tuf::resolve::TrustInfo;

/// Where a bundle reader's answer comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The bundle as the user named it.
    pub bundle: PathBuf,
    /// The trust server the bundle was exported from.
    pub server: String,
    /// When the repository's trust data was exported.
    pub exported_at: DateTime<Utc>,
    /// Expiry is checked as of `exported_at` (else as of now).
    pub frozen: bool,
}

impl fmt::Display for Provenance {
    /// One line: "trust data from bundle B (exported from S at T); expiry checked as of …".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.exported_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let checked = if self.frozen { format!("as of the export ({at}, --frozen)") } else { "as of now".to_owned() };
        write!(
            f,
            "frozen trust data from bundle {} (exported from {} at {at}); expiry checked {checked}",
            self.bundle.display(),
            self.server
        )
    }
}

/// A client that reads and verifies, and knows where its data comes from.
#[derive(Debug)]
pub struct Reader {
    client: Client,
    provenance: Option<Provenance>,
    /// A bundle reader's ephemeral cache, removed on drop.
    _cache: Option<tempfile::TempDir>,
}

impl Reader {
    /// A reader over a trust server's client.
    pub fn online(client: Client) -> Self {
        Reader { client, provenance: None, _cache: None }
    }

    /// A reader of a bundle, with its ephemeral cache.
    pub(crate) fn from_bundle(client: Client, provenance: Provenance, cache: tempfile::TempDir) -> Self {
        Reader { client, provenance: Some(provenance), _cache: Some(cache) }
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Where the answer comes from when it comes from a bundle; `None` online.
    pub fn provenance(&self) -> Option<&Provenance> {
        self.provenance.as_ref()
    }

    /// The repository's verified trust data ([`Client::update`]). From a bundle read
    /// without `frozen`, an expired role's error says when the bundle was exported and
    /// how to verify as of then.
    pub fn update(&self) -> Result<Repository<'_>> {
        let mut repo = self.client.update().map_err(|e| self.explain(e))?;
        if self.provenance.is_some() {
            // The ephemeral cache would only be thrown away: nothing is written to it.
            repo.hold_cache_writes();
        }
        Ok(repo)
    }

    /// Verifies `reference` against the repository's updated trust data
    /// ([`Repository::verify`]), errors explained as [`Reader::explain`] does.
    pub fn verify(&self, reference: &Reference) -> Result<Verified> {
        let mut repo = self.update()?;
        repo.verify(reference).map_err(|e| self.explain(e))
    }

    /// The verified trust information of `reference` (its tag, or every tag when it
    /// names none: what `trust inspect` shows), with the update's warnings.
    pub fn inspect(&self, reference: &Reference) -> Result<(TrustInfo, Vec<String>)> {
        let mut repo = self.update()?;
        let info = repo.trust_info(reference.tag()).map_err(|e| self.explain(e))?;
        Ok((info, repo.warnings().to_vec()))
    }

    /// Like [`Reader::inspect`], also returning when the repository's timestamp
    /// expires when no server re-signs it before then (the registry store, the file
    /// remote: [`Client::store_resigns_timestamps`]); `None` on a notary-server and
    /// from a bundle.
    pub fn inspect_with_expiry(
        &self,
        reference: &Reference,
    ) -> Result<(TrustInfo, Vec<String>, Option<DateTime<Utc>>)> {
        let mut repo = self.update()?;
        let expires = (self.provenance.is_none() && !self.client.store_resigns_timestamps())
            .then(|| repo.trusted().timestamp().map(|t| t.signed.expires.at()))
            .flatten();
        let info = repo.trust_info(reference.tag()).map_err(|e| self.explain(e))?;
        Ok((info, repo.warnings().to_vec(), expires))
    }

    /// `e` with the frozen opt-in named, when it is an expiry of unfrozen bundle data;
    /// online, with `trust timestamp refresh` named when no server re-signs the
    /// expired timestamp ([`Client::explain_expiry`]).
    pub fn explain(&self, e: Error) -> Error {
        match &self.provenance {
            Some(p) if !p.frozen && is_expired(&e) => {
                let at = p.exported_at.to_rfc3339_opts(SecondsFormat::Secs, true);
                e.noted(format!(
                    "the bundle was exported at {at}: to verify as of then, pass --frozen (TRUST_FROZEN=1; a revocation after {at} is then not seen)"
                ))
            }
            Some(_) => e,
            None => self.client.explain_expiry(e),
        }
    }
}

fn is_expired(e: &Error) -> bool {
    match e {
        Error::Expired { .. } => true,
        Error::Noted { source, .. } => is_expired(source),
        _ => false,
    }
}
