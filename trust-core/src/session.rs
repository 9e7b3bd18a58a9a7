//! A change to one repository's trust data: its client, the local keys, and the
//! changes this operation staged, published together.
//!
//! Changes are staged on disk before any network call. When the publish fails for a
//! reason retrying cannot fix (a wrong passphrase, a missing key), the operation's own
//! changes are taken back so that a later command does not publish them; when the
//! server cannot be reached they stay staged and the error says so. Keys the
//! operation made (a new repository's root and targets keys) go with the changes
//! when these are taken back, and stay with them when they stay staged.

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
    /// On a file remote, the passphrase of its own keys is asked for first when the
    /// environment does not give it (without a terminal: an error before anything is
    /// done).
    pub fn open(settings: &Settings, reference: &Reference) -> Result<Session> {
        let settings = crate::file_remote_passphrase::for_publishing(settings, reference)?;
        let mut client = settings.client_for(reference)?;
        client.allow_new_store();
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
    /// network, this operation's own changes are taken back, with the keys it made,
    /// and the error says so; on a network failure everything stays staged (the keys
    /// too, for the publish that follows) and the error says how many changes wait
    /// where.
    pub fn publish(&self) -> Result<Outcome> {
        match publish::publish(&self.client, self.keys.as_ref()) {
            Ok(outcome) => Ok(outcome),
            Err(e) if e.kind() != ErrorKind::Network => {
                self.unstage_own();
                Err(e.noted(self.discard_new_keys()))
            }
            Err(e) => {
                let staged = self.changelist.list().map(|l| l.len()).unwrap_or(0);
                if staged == 0 {
                    return Err(e);
                }
                let gun = self.client.gun();
                let dir = self.client.trust_dir().join("tuf").join(gun).join("changelist");
                let created = self.keys.created_keys();
                let keys = if created.is_empty() {
                    String::new()
                } else {
                    format!(" with the keys this operation made for them ({})", created.join(", "))
                };
                Err(e.noted(format!(
                    "the trust data for {gun} was not published: {staged} change(s) stay staged in {}{keys}; the next trust sign, revoke or signer command for this repository publishes them",
                    dir.display()
                )))
            }
        }
    }

    /// Removes the keys this operation made (its changes were not kept, so nothing
    /// uses them) and says what happened to the operation's work.
    fn discard_new_keys(&self) -> String {
        const NOT_KEPT: &str = "nothing was published and this operation's changes were not kept";
        match self.keys.discard_created() {
            Ok(removed) if removed.is_empty() => NOT_KEPT.to_owned(),
            Ok(removed) => format!("{NOT_KEPT}: the keys it made were removed ({})", removed.join(", ")),
            Err(e) => format!(
                "nothing was published and this operation's staged changes were not kept, but not every key it made \
                 could be removed ({e}): remove what is left with trust key remove"
            ),
        }
    }

    /// Takes back what this operation staged.
    fn unstage_own(&self) {
        for path in self.staged.borrow_mut().drain(..) {
            let _ = std::fs::remove_file(path);
        }
    }
}
