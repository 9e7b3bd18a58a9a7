//! What an export reports: per repository as it finishes, and at the end.

use std::path::PathBuf;

use crate::Error;

/// What happened to one repository.
#[derive(Debug)]
pub enum Outcome {
    /// Fetched and verified now.
    Exported {
        /// Roles in the bundle (timestamp, snapshot, targets, root, delegations).
        roles: usize,
        /// Distinct target names the trusted roles sign.
        tags: usize,
        /// Bytes of its files.
        bytes: u64,
        /// What verification warned about (expired or superseded delegations).
        warnings: Vec<String>,
    },
    /// Already exported, and the server's timestamp is still the exported one.
    Kept {
        /// Bytes of its files.
        bytes: u64,
        /// True when an interrupted run had staged it; false when it came from the
        /// bundle being replaced.
        resumed: bool,
    },
    /// Not exported; the repository is not in the bundle.
    Failed(Error),
}

/// One repository's result.
#[derive(Debug)]
pub struct RepositoryReport {
    /// The repository (GUN).
    pub gun: String,
    /// What happened.
    pub outcome: Outcome,
}

/// Reported as each repository finishes.
#[derive(Debug)]
pub struct Progress<'a> {
    /// How many repositories have finished, this one included.
    pub done: usize,
    /// How many there are.
    pub total: usize,
    /// This one.
    pub repository: &'a RepositoryReport,
}

/// What an export did.
#[derive(Debug)]
pub struct ExportReport {
    /// The trust server exported from.
    pub server: String,
    /// Every repository, in the order given.
    pub repositories: Vec<RepositoryReport>,
    /// The bundle, when one was written (not when every repository failed).
    pub bundle: Option<PathBuf>,
    /// The bundle's size in bytes (the archive file, or the directory's files).
    pub bytes: u64,
    /// Repositories of the replaced bundle that were not asked for, and so are not in
    /// the new one.
    pub dropped: Vec<String>,
    /// What is left to know: where finished repositories were kept when no bundle
    /// was written, or a staging directory that could not be removed.
    pub note: Option<String>,
}

impl ExportReport {
    /// How many were exported, kept and failed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for r in &self.repositories {
            match r.outcome {
                Outcome::Exported { .. } => counts.0 += 1,
                Outcome::Kept { .. } => counts.1 += 1,
                Outcome::Failed(_) => counts.2 += 1,
            }
        }
        counts
    }

    /// The first failure, in the order given.
    pub fn first_failure(&self) -> Option<&Error> {
        self.repositories.iter().find_map(|r| match &r.outcome {
            Outcome::Failed(e) => Some(e),
            _ => None,
        })
    }
}
