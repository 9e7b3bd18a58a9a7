//! `trust export`: a complete, verified copy of repositories' trust data taken off a
//! trust server, written as a bundle ([`crate::bundle`]).
//!
//! Each repository is verified exactly as the online client verifies it (the user's
//! trust directory and pinning, so the root the user already trusts is the anchor),
//! then every delegation the snapshot lists and every root version `1` … current are
//! fetched, and the root chain is checked from version 1 to the trusted root. Only
//! then are its files (the bytes received) written.
//!
//! Finished repositories are kept in a staging directory beside the output
//! (`<BUNDLE>.partial/`) as they finish, so an interrupted export loses none of them;
//! the next run with the same output picks them up. A repository already exported
//! (staged, or in the bundle being replaced) is kept without fetching it again when
//! the server's current timestamp is the exported one, byte for byte. The bundle is
//! assembled from the staging directory (and, for what it keeps, the bundle being
//! replaced) and put in place atomically.
//!
//! A repository that fails (not on the server, failed verification, network) is
//! reported and left out; the others are still exported.

mod chain;
mod destination;
mod report;
mod repository;
mod sources;
mod staging;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use chrono::Utc;

pub use destination::BundleKind;
use destination::Destination;
pub use report::{ExportReport, Outcome, Progress, RepositoryReport};
pub use sources::Sources;
use staging::{Staged, Staging};

use crate::bundle::manifest::{Manifest, RepositoryEntry, file_path};
use crate::client::Client;
use crate::remote::{Remote, RemoteFile};
use crate::{Error, Result};
use trust_tuf::reference::Reference;

/// How an export runs.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// How many repositories are fetched at once (at least 1).
    pub parallel: usize,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions { parallel: 4 }
    }
}

/// The repository names in a list file (`--from-file`): one a line, surrounding
/// blanks trimmed; blank lines and lines starting with `#` (after blanks) ignored.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

/// The repository names of `names` (image references, normalised as `docker trust
/// inspect` normalises them; a tag or digest is ignored, the whole repository is
/// exported), each once, in order.
pub fn repositories(names: &[String]) -> Result<Vec<Reference>> {
    let mut seen = HashSet::new();
    let mut refs = Vec::new();
    for name in names {
        let reference = Reference::parse(name)?;
        if seen.insert(reference.gun()) {
            refs.push(reference);
        }
    }
    if refs.is_empty() {
        return Err(Error::InvalidInput("no repositories to export: name at least one (or --from-file LIST)".into()));
    }
    Ok(refs)
}

/// The trust server every repository of `refs` resolves to; an error when they
/// resolve to different servers (a bundle comes from one).
fn one_server(settings: &dyn Sources, refs: &[Reference]) -> Result<String> {
    let mut server: Option<(String, String)> = None;
    for r in refs {
        let url = settings.server_for(r)?;
        match &server {
            None => server = Some((url, r.gun())),
            Some((first, gun)) if *first != url => {
                return Err(Error::InvalidInput(format!(
                    "{gun} is on {first} and {} on {url}: a bundle holds one server's repositories; export them separately, or name the server with --server",
                    r.gun()
                )));
            }
            Some(_) => {}
        }
    }
    server.map(|(url, _)| url).ok_or_else(|| Error::InvalidInput("no repositories to export".into()))
}

/// A repository exported before, to keep when it is still current.
struct Candidate {
    entry: RepositoryEntry,
    files: BTreeMap<String, Vec<u8>>,
    resumed: bool,
}

/// Everything a worker needs.
struct Job<'a> {
    settings: &'a dyn Sources,
    /// One remote per registry domain (its credentials), shared by the workers.
    remotes: HashMap<String, Arc<dyn Remote>>,
    server: &'a str,
    staging: &'a Staging,
    previous: Option<&'a (PathBuf, Manifest)>,
}

impl Job<'_> {
    fn run(&self, reference: &Reference) -> Outcome {
        match self.export_one(reference) {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Failed(e),
        }
    }

    fn export_one(&self, reference: &Reference) -> Result<Outcome> {
        let gun = reference.gun();
        let client = match self.remotes.get(reference.domain()) {
            Some(remote) => self.settings.client_with(reference, Box::new(Arc::clone(remote)))?,
            None => self.settings.client_for(reference)?,
        };
        if let Some(candidate) = self.candidate(&gun)?
            && self.still_current(&client, &candidate)?
        {
            // A staged copy stays staged; one in the bundle being replaced is linked
            // from there into the new bundle.
            let bytes = candidate.entry.files.values().map(|f| f.length).sum();
            return Ok(Outcome::Kept { bytes, resumed: candidate.resumed });
        }
        let fetched = repository::fetch(&client, Utc::now())?;
        self.stage(&gun, &fetched.entry, &fetched.files)?;
        let bytes = fetched.entry.files.values().map(|f| f.length).sum();
        Ok(Outcome::Exported { roles: fetched.roles, tags: fetched.tags, bytes, warnings: fetched.warnings })
    }

    fn stage(&self, gun: &str, entry: &RepositoryEntry, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
        let staged = Staged { gun: gun.to_owned(), server: self.server.to_owned(), entry: entry.clone() };
        self.staging.store(&staged, files)
    }

    /// The staged copy of `gun` from an interrupted run, else its copy in the bundle
    /// being replaced, when either is from this server and every file matches its
    /// entry (a copy that does not is exported again).
    fn candidate(&self, gun: &str) -> Result<Option<Candidate>> {
        if let Some(staged) = self.staging.load(gun)?.filter(|s| s.server == self.server)
            && let Some(files) = read_checked(gun, &staged.entry, |name| self.staging.file(gun, name))
        {
            return Ok(Some(Candidate { entry: staged.entry, files, resumed: true }));
        }
        let Some((root, manifest)) = self.previous.filter(|(_, m)| m.server == self.server) else {
            return Ok(None);
        };
        let Some(entry) = manifest.repositories.get(gun) else { return Ok(None) };
        Ok(read_checked(gun, entry, |name| file_path(root, gun, name)).map(|files| Candidate {
            entry: entry.clone(),
            files,
            resumed: false,
        }))
    }

    /// One timestamp request: true when the server's current timestamp is the
    /// candidate's, byte for byte (so every other file it pins is the same too).
    fn still_current(&self, client: &Client, candidate: &Candidate) -> Result<bool> {
        let Some(kept) = candidate.files.get("timestamp.json") else { return Ok(false) };
        let limit = self.settings.metadata_limits().max_timestamp_bytes;
        let current = client.remote().fetch(client.gun(), &RemoteFile::Current("timestamp"), limit)?;
        Ok(current.as_ref() == Some(kept))
    }
}

/// The files `entry` lists, read from `path_of(name)`, when every one is there and
/// matches its length and SHA-256.
fn read_checked(
    gun: &str,
    entry: &RepositoryEntry,
    path_of: impl Fn(&str) -> PathBuf,
) -> Option<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for (name, file) in &entry.files {
        let bytes = std::fs::read(path_of(name)).ok()?;
        file.check(gun, name, &bytes).ok()?;
        files.insert(name.clone(), bytes);
    }
    Some(files)
}

/// Exports `refs` (see [`repositories`]) from the trust server they resolve to into
/// the bundle `output`, calling `progress` as each repository finishes.
///
/// Fails before any network work when the output cannot be written (its directory is
/// missing or not writable, a file stands where a directory is needed, or an
/// existing directory is not a bundle), or the repositories are on different
/// servers. When every repository fails nothing is written and the report names
/// the failures; otherwise the bundle holds the repositories that did not fail.
pub fn export(
    settings: &dyn Sources,
    refs: &[Reference],
    output: &Path,
    options: ExportOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<ExportReport> {
    let server = one_server(settings, refs)?;
    let dest = Destination::check(output)?;
    let staging = Staging::open(output)?;
    let result = run(settings, refs, &server, &dest, &staging, options, progress);
    match result {
        Ok(mut report) if report.bundle.is_some() => {
            // The bundle is in place: a staging directory that cannot be removed is
            // said, not an error.
            let dir = staging.dir().to_owned();
            if let Err(e) = staging.remove() {
                report.note = Some(format!("the bundle is complete, but {} could not be removed ({e})", dir.display()));
            }
            report.bytes = bundle_size(&dest)?;
            Ok(report)
        }
        Ok(mut report) => {
            report.note = staging.close_after_failure();
            Ok(report)
        }
        Err(e) => Err(match staging.close_after_failure() {
            Some(note) => e.noted(note),
            None => e,
        }),
    }
}

fn run(
    settings: &dyn Sources,
    refs: &[Reference],
    server: &str,
    dest: &Destination,
    staging: &Staging,
    options: ExportOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<ExportReport> {
    let previous = previous_bundle(dest, staging);
    let mut remotes = HashMap::new();
    for r in refs {
        if !remotes.contains_key(r.domain()) {
            remotes.insert(r.domain().to_owned(), Arc::from(settings.remote_for(r)?));
        }
    }
    let job = Job { settings, remotes, server, staging, previous: previous.as_ref() };
    let total = refs.len();
    let mut results: Vec<Option<RepositoryReport>> = (0..total).map(|_| None).collect();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, RepositoryReport)>();
    std::thread::scope(|scope| {
        for _ in 0..options.parallel.clamp(1, total) {
            let tx = tx.clone();
            let (job, next) = (&job, &next);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(reference) = refs.get(i) else { break };
                    let report = RepositoryReport { gun: reference.gun(), outcome: job.run(reference) };
                    if tx.send((i, report)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (done, (i, report)) in rx.iter().enumerate() {
            progress(&Progress { done: done + 1, total, repository: &report });
            results[i] = Some(report);
        }
    });
    let repositories: Vec<RepositoryReport> = results.into_iter().flatten().collect();
    let finished_at = Utc::now();
    let mut manifest = Manifest::new(server, finished_at);
    // The repositories kept from the bundle being replaced: the directory holding them.
    let mut from_previous = HashMap::new();
    for r in repositories.iter() {
        let entry = match (&r.outcome, &previous) {
            (Outcome::Failed(_), _) => continue,
            (Outcome::Kept { resumed: false, .. }, Some((root, m))) if m.repositories.contains_key(&r.gun) => {
                from_previous.insert(r.gun.clone(), root.clone());
                m.repositories[&r.gun].clone()
            }
            _ => {
                staging
                    .load(&r.gun)?
                    .ok_or_else(|| {
                        Error::InvalidInput(format!("{}: the staged copy disappeared during the export", r.gun))
                    })?
                    .entry
            }
        };
        manifest.repositories.insert(r.gun.clone(), entry);
    }
    let dropped = previous
        .as_ref()
        .map(|(_, m)| m.repositories.keys().filter(|g| !manifest.repositories.contains_key(*g)).cloned().collect())
        .unwrap_or_default();
    let mut report =
        ExportReport { server: server.to_owned(), repositories, bundle: None, bytes: 0, dropped, note: None };
    if manifest.repositories.is_empty() {
        return Ok(report);
    }
    let assembled = staging.assemble(&manifest, &from_previous)?;
    let committed = dest.commit(&assembled);
    let _ = staging::remove_any(&assembled);
    committed?;
    report.bundle = Some(dest.path.clone());
    Ok(report)
}

/// The complete bundle at the output, when there is one to keep repositories from:
/// a directory is read in place; an archive is unpacked into the staging directory
/// (one that cannot be read is replaced, its repositories exported again).
fn previous_bundle(dest: &Destination, staging: &Staging) -> Option<(PathBuf, Manifest)> {
    match dest.kind {
        BundleKind::Directory => dest.previous_directory(),
        BundleKind::Archive => {
            if !dest.path.is_file() {
                return None;
            }
            let into = staging.dir().join(format!("previous.tmp-{}", std::process::id()));
            crate::bundle::archive::unpack(&dest.path, &into, MAX_PREVIOUS_BYTES).ok()?;
            Destination { path: into.clone(), kind: BundleKind::Directory }.previous_directory()
        }
    }
}

/// The most an existing archive bundle may unpack to, to keep repositories from it.
const MAX_PREVIOUS_BYTES: u64 = 64 << 30;

fn bundle_size(dest: &Destination) -> Result<u64> {
    match dest.kind {
        BundleKind::Archive => std::fs::metadata(&dest.path).map(|m| m.len()).map_err(|e| Error::io(&dest.path, e)),
        BundleKind::Directory => directory_size(&dest.path),
    }
}

fn directory_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let meta = entry.metadata().map_err(|e| Error::io(entry.path(), e))?;
        total += if meta.is_dir() { directory_size(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
