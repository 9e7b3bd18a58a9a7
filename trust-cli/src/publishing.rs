//! What the commands that change trust data share: a repository session (client,
//! keys, staged changes), publishing with a message that says what is left staged,
//! confirmations, and public key files.

use std::io::{IsTerminal, Write};

use trust_core::ErrorKind;
use trust_core::client::Client;
use trust_core::publish::{self, Change, Changelist, KeySource, Outcome};
use trust_core::reference::Reference;
use trust_core::settings::Settings;

use crate::exit::{Code, Failure};

/// One repository being changed.
pub struct Session {
    pub client: Client,
    pub keys: Box<dyn KeySource>,
    changelist: Changelist,
    /// The change files this command staged.
    staged: std::cell::RefCell<Vec<std::path::PathBuf>>,
}

impl Session {
    /// A session for the repository of `reference`.
    pub fn open(settings: &Settings, reference: &Reference) -> Result<Session, Failure> {
        let client = settings.client_for(reference)?;
        let keys = settings.key_source()?;
        let changelist = Changelist::open(client.trust_dir(), client.gun())?;
        Ok(Session { client, keys, changelist, staged: std::cell::RefCell::new(Vec::new()) })
    }

    /// The repository's verified state, for a command that will publish: from the
    /// cache when the server cannot be reached (so the change is staged before the
    /// network is needed), and lookups on it do not write the cache (the publish
    /// refreshes it once the server accepted the upload).
    pub fn current(&self) -> trust_core::Result<trust_core::client::Repository<'_>> {
        let mut repo = self.client.update()?;
        repo.hold_cache_writes();
        Ok(repo)
    }

    /// `e`, naming key files that could not be read when no usable key was found.
    pub fn explain_keys(&self, e: trust_core::Error) -> Failure {
        let unreadable = self.keys.unreadable_keys();
        let mut failure: Failure = e.into();
        if failure.code == Code::Key && !unreadable.is_empty() {
            let names: Vec<String> = unreadable.iter().map(|p| p.display().to_string()).collect();
            failure.message.push_str(&format!(
                "\nthese key files could not be read (damaged or truncated?): {}",
                names.join(", ")
            ));
        }
        failure
    }

    /// Stages a change on disk (before any upload).
    pub fn stage(&self, change: &Change) -> Result<(), Failure> {
        let path = self.changelist.stage(change)?;
        self.staged.borrow_mut().push(path);
        Ok(())
    }

    /// Takes back what this command staged (after a failure that retrying cannot
    /// fix, such as a wrong passphrase), so that a later command does not publish it.
    fn unstage_own(&self) {
        for path in self.staged.borrow_mut().drain(..) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Publishes everything staged for the session's repository.
pub fn publish_staged(session: &Session) -> Result<Outcome, Failure> {
    match publish::publish(&session.client, session.keys.as_ref()) {
        Ok(outcome) => {
            for w in &outcome.warnings {
                eprintln!("warning: {w}");
            }
            Ok(outcome)
        }
        Err(e) if e.kind() != ErrorKind::Network => {
            session.unstage_own();
            let mut failure: Failure = e.into();
            failure.message =
                format!("{}\nnothing was published and this command's changes were not kept", failure.message);
            Err(failure)
        }
        Err(e) => {
            let staged = Changelist::open(session.client.trust_dir(), session.client.gun())
                .and_then(|c| c.list())
                .map(|l| l.len())
                .unwrap_or(0);
            let mut failure: Failure = e.into();
            if staged > 0 {
                failure.message = format!(
                    "failed to publish trust data for {}: {}\n{staged} change(s) stay staged in {}; the next trust sign, revoke or signer command for this repository publishes them",
                    session.client.gun(),
                    failure.message,
                    session.client.trust_dir().join("tuf").join(session.client.gun()).join("changelist").display()
                );
            }
            Err(failure)
        }
    }
}

/// Asks `question` on a terminal; without one, refuses with what to pass instead.
pub fn confirm(question: &str, out: &mut dyn Write) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            Code::Usage,
            format!(
                "{question}\nno terminal to confirm on: pass --force (signer remove) or --yes (revoke) to go ahead"
            ),
        ));
    }
    let _ = write!(out, "{question} [y/N] ");
    let _ = out.flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| Failure::new(Code::Io, format!("reading the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
