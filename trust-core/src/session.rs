//! A change to one repository's trust data: its client, the local keys, and the
//! changes this operation staged, published together.
//!
//! Changes are staged on disk before any network call. When the publish fails for a
//! reason retrying cannot fix (a wrong passphrase, a missing key), the operation's own
//! changes are taken back so that a later command does not publish them; when the
//! server cannot be reached they stay staged and the error says so.

use std::cell::RefCell;
use std::path::PathBuf;

use crate::client::{Client, Repository};
use crate::publish::{self, Change, Changelist, KeySource, Outcome};
use crate::settings::Settings;
use crate::{Error, ErrorKind, Result};
use trust_tuf::reference::Reference;

/// One repository being changed.
pub struct Session {
    /// The repository's client.
    pub client: Client,
    /// The keys that sign the change.
    pub keys: Box<dyn KeySource>,
    changelist: Changelist,
    /// The files of the groups this operation staged.
    staged: RefCell<Vec<PathBuf>>,
}

impl Session {
    /// A session for the repository of `reference`.
    pub fn open(settings: &Settings, reference: &Reference) -> Result<Session> {
        let client = settings.client_for(reference)?;
        let keys = settings.key_source()?;
        let changelist = Changelist::open(client.trust_dir(), client.gun())?;
        Ok(Session { client, keys, changelist, staged: RefCell::new(Vec::new()) })
    }

    /// The repository's verified state, for an operation that will publish: the
    /// server's newest state, as docker asks for it before choosing the roles to sign
    /// (a cached timestamp, however fresh, can predate a signer another client just
    /// added); from the cache when the server cannot be reached (so the change is
    /// staged before the network is needed). Lookups on it do not write the cache
    /// (the publish refreshes it once the server accepted the upload).
    pub fn current(&self) -> Result<Repository<'_>> {
        let mut repo = self.client.update_for_staging().map_err(|e| self.client.explain_expiry(e))?;
        repo.hold_cache_writes();
        Ok(repo)
    }

    /// `e`, naming key files that could not be read when no usable key was found.
    pub fn explain_keys(&self, e: Error) -> Error {
        let unreadable = self.keys.unreadable_keys();
        if e.kind() != ErrorKind::Key || unreadable.is_empty() {
            return e;
        }
        let names: Vec<String> = unreadable.iter().map(|p| p.display().to_string()).collect();
        e.noted(format!("these key files could not be read (damaged or truncated?): {}", names.join(", ")))
    }

    /// Stages changes on disk (before any upload) as one group, all or none: a kill or a failed write
    /// part-way leaves none of them to publish (see [`Changelist::stage_group`]).
    pub fn stage_all(&self, changes: &[Change]) -> Result<()> {
        let path = self.changelist.stage_group(changes)?;
        self.staged.borrow_mut().push(path);
        Ok(())
    }

    /// Publishes everything staged for the repository. On a failure other than the
    /// network, this operation's own changes are taken back; on a network failure
    /// everything stays staged and the error says how many changes wait where.
    pub fn publish(&self) -> Result<Outcome> {
        match publish::publish(&self.client, self.keys.as_ref()) {
            Ok(outcome) => Ok(outcome),
            Err(e) if e.kind() != ErrorKind::Network => {
                self.unstage_own();
                Err(e.noted("nothing was published and this operation's changes were not kept"))
            }
            Err(e) => {
                let staged = self.changelist.list().map(|l| l.len()).unwrap_or(0);
                if staged == 0 {
                    return Err(e);
                }
                let gun = self.client.gun();
                let dir = self.client.trust_dir().join("tuf").join(gun).join("changelist");
                Err(e.noted(format!(
                    "the trust data for {gun} was not published: {staged} change(s) stay staged in {}; the next trust sign, revoke or signer command for this repository publishes them",
                    dir.display()
                )))
            }
        }
    }

    /// Takes back what this operation staged.
    fn unstage_own(&self) {
        for path in self.staged.borrow_mut().drain(..) {
            let _ = std::fs::remove_file(path);
        }
    }
}
