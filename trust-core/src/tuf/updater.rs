//! The TUF 1.0 updater: the specification's client workflow (section 5) over HTTP and a
//! metadata directory. It fetches and stores; every decision is
//! [`trust_tuf::tuf1::trusted::TrustedSet`]'s and
//! [`trust_tuf::tuf1::search::DelegationSearch`]'s.
//!
//! Each role is first loaded from the metadata directory (the local copy is the
//! rollback reference, and a local snapshot or targets file that is still the final one
//! is used without a download), then from the repository; what the trusted set accepts
//! from the repository is stored, atomically, and nothing else is. The order of
//! requests is python-tuf's, so test suites written against the reference client's
//! requests hold for this one.

use std::io::Read;
use std::path::{Path, PathBuf};

use trust_tuf::crypto::default_provider;
use trust_tuf::tuf1::hashes::Hasher;
use trust_tuf::tuf1::naming::{quote_role, target_file_name};
use trust_tuf::tuf1::search::{DelegationSearch, MAX_DELEGATIONS, Step};
use trust_tuf::tuf1::trusted::{TimestampUpdate, TrustedSet};
use trust_tuf::tuf1::{Metadata, Root, TargetFile};

use super::fetch::{Fetched, Fetcher};
use super::metadata_dir::MetadataDir;
use crate::http::transfer::TransferLimits;
use crate::{Error, Result};

/// Bounds on one updater's work. The defaults are python-tuf's.
#[derive(Debug, Clone)]
pub struct UpdaterConfig {
    /// Most root versions fetched in one refresh (the specification's fixed maximum
    /// number of root rotations).
    pub max_root_rotations: u64,
    /// Most delegated roles one target search visits besides `targets`.
    pub max_delegations: usize,
    /// Largest root file accepted.
    pub root_max_length: u64,
    /// Largest timestamp file accepted.
    pub timestamp_max_length: u64,
    /// Largest snapshot accepted when the timestamp does not give its length.
    pub snapshot_max_length: u64,
    /// Largest targets or delegated targets file accepted when the snapshot does not
    /// give its length.
    pub targets_max_length: u64,
    /// The deadline and rate floor of every request.
    pub transfer: TransferLimits,
    /// With consistent snapshots, fetch target files as `dir/HASH.name` (the
    /// specification's rule); off for repositories that publish targets under their
    /// plain names only.
    pub prefix_targets_with_hash: bool,
    /// The docker configuration directory whose `tls/<host:port>/` holds CA files and a
    /// client certificate for the repository's host.
    pub docker_config: PathBuf,
    /// A CA bundle that replaces that directory's CAs (`--tlscacert`).
    pub ca_file: Option<PathBuf>,
}

impl Default for UpdaterConfig {
    fn default() -> Self {
        UpdaterConfig {
            max_root_rotations: 256,
            max_delegations: MAX_DELEGATIONS,
            root_max_length: 512_000,
            timestamp_max_length: 16_384,
            snapshot_max_length: 2_000_000,
            targets_max_length: 5_000_000,
            transfer: TransferLimits::default(),
            prefix_targets_with_hash: true,
            docker_config: crate::config::docker_config_dir(),
            ca_file: None,
        }
    }
}

/// A target file as trusted metadata lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// The target path.
    pub path: String,
    /// The role that lists it (the first in the delegation search's order).
    pub role: String,
    /// Its length, hashes and custom fields.
    pub file: TargetFile,
}

/// Stores `root` as the trusted root of a new client in `metadata_dir` (created if
/// missing), with no network: it must parse as TUF 1.0 root metadata signed by a
/// threshold of its own keys (it may have expired: the first refresh moves past it).
pub fn init(metadata_dir: &Path, root: &[u8]) -> Result<()> {
    let md = Metadata::<Root>::parse("root", root)?;
    md.signed.verify_role("root", &md, default_provider())?;
    MetadataDir::new(metadata_dir).persist("root", root)
}

/// A TUF 1.0 client for one repository.
#[derive(Debug)]
pub struct Updater {
    dir: MetadataDir,
    metadata_url: String,
    target_base_url: Option<String>,
    target_dir: Option<PathBuf>,
    config: UpdaterConfig,
    fetcher: Fetcher,
    set: TrustedSet,
    refreshed: bool,
}

/// `url` with exactly one `/` at the end.
fn base(url: &str) -> String {
    format!("{}/", url.trim_end_matches('/'))
}

/// A target path as a URL path: every byte RFC 3986 does not allow in a path
/// percent-encoded (a space, `%`, `?`, `#`, non-ASCII, ...), `/` and the rest kept, as
/// python-tuf's HTTP stack sends it.
fn url_path(path: &str) -> String {
    trust_tuf::percent::encode(path, |b| b"/!$&'()*+,;=:@".contains(&b) || trust_tuf::percent::is_unreserved(b))
}

impl Updater {
    /// An updater that trusts the `root.json` in `metadata_dir` (see [`init`]) and
    /// fetches metadata under `metadata_url`; target files, when asked for, under
    /// `target_base_url` into `target_dir`.
    pub fn new(
        metadata_dir: &Path,
        metadata_url: &str,
        target_dir: Option<&Path>,
        target_base_url: Option<&str>,
        config: UpdaterConfig,
    ) -> Result<Self> {
        let dir = MetadataDir::new(metadata_dir);
        let root = dir.load("root", config.root_max_length)?.ok_or_else(|| {
            Error::InvalidInput(format!(
                "{} holds no trusted root: start with `trust tuf --metadata-dir {} init ROOT.json`",
                metadata_dir.display(),
                metadata_dir.display()
            ))
        })?;
        let set = TrustedSet::new(root, chrono::Utc::now(), default_provider())?;
        let metadata_url = base(metadata_url);
        let parsed = reqwest::Url::parse(&metadata_url)
            .map_err(|e| Error::InvalidInput(format!("invalid metadata URL {metadata_url}: {e}")))?;
        let fetcher = Fetcher::new(&parsed, &config)?;
        Ok(Updater {
            dir,
            metadata_url,
            target_base_url: target_base_url.map(base),
            target_dir: target_dir.map(Path::to_path_buf),
            config,
            fetcher,
            set,
            refreshed: false,
        })
    }

    /// Updates the top-level metadata (5.3–5.6): root, timestamp, snapshot, targets.
    /// Delegated roles are loaded later, as a target search reaches them.
    pub fn refresh(&mut self) -> Result<()> {
        self.load_root()?;
        if self.set.timestamp_or_snapshot_keys_rotated() {
            // 5.3.11: the stored copies are no rollback reference after a rotation.
            self.dir.remove("timestamp")?;
            self.dir.remove("snapshot")?;
        }
        self.load_timestamp()?;
        self.load_snapshot()?;
        self.load_targets("targets", "root")?;
        self.refreshed = true;
        Ok(())
    }

    fn url(&self, role: &str, version: Option<u64>) -> String {
        let quoted = quote_role(role);
        let name = match version {
            Some(v) if role != "timestamp" => format!("{v}.{quoted}.json"),
            _ => format!("{quoted}.json"),
        };
        format!("{}{name}", self.metadata_url)
    }

    fn fetch(&self, role: &str, version: Option<u64>, max_len: u64) -> Result<Vec<u8>> {
        let url = self.url(role, version);
        match self.fetcher.get(&url, max_len, role)? {
            Fetched::Body(bytes) => Ok(bytes),
            Fetched::Missing(status) => Err(Error::Network {
                url,
                reason: format!("the repository answered {status}: it does not serve {role} metadata there"),
            }),
        }
    }

    /// 5.3: root N+1, N+2, ... until the repository has no next version, at most
    /// `max_root_rotations`; each one accepted is stored.
    fn load_root(&mut self) -> Result<()> {
        let first = self.set.root().signed.version() + 1;
        for version in first..first.saturating_add(self.config.max_root_rotations) {
            let url = self.url("root", Some(version));
            let bytes = match self.fetcher.get(&url, self.config.root_max_length, "root")? {
                Fetched::Body(bytes) => bytes,
                Fetched::Missing(_) => break,
            };
            self.set.update_root(bytes)?;
            self.dir.persist("root", &self.set.root().raw)?;
        }
        Ok(())
    }

    /// 5.4: the local timestamp first (the rollback reference, when it still verifies),
    /// then the repository's.
    fn load_timestamp(&mut self) -> Result<()> {
        let max = self.config.timestamp_max_length;
        if let Some(local) = self.dir.load("timestamp", max)?
            && let Err(e) = self.set.update_timestamp(local)
        {
            log::debug!("the stored timestamp is not the final one: {e}");
        }
        let bytes = self.fetch("timestamp", None, max)?;
        if self.set.update_timestamp(bytes.clone())? == TimestampUpdate::Accepted {
            self.dir.persist("timestamp", &bytes)?;
        }
        Ok(())
    }

    /// 5.5: the local snapshot when it is still the final one, else the repository's.
    fn load_snapshot(&mut self) -> Result<()> {
        if let Some(local) = self.dir.load("snapshot", self.config.snapshot_max_length)? {
            match self.set.update_snapshot(local, true) {
                Ok(()) => return Ok(()),
                Err(e) => log::debug!("the stored snapshot is not the final one: {e}"),
            }
        }
        let meta = self.set.timestamp().map(|t| t.signed.signed.snapshot_meta().clone());
        let meta = meta.ok_or_else(|| Error::verification("snapshot", "no trusted timestamp"))?;
        let version = self.set.consistent_snapshot().then_some(meta.version);
        let bytes = self.fetch("snapshot", version, meta.length.unwrap_or(self.config.snapshot_max_length))?;
        self.set.update_snapshot(bytes.clone(), false)?;
        self.dir.persist("snapshot", &bytes)
    }

    /// 5.6: targets role `role`, delegated by `delegator`: already trusted, else the
    /// local copy when it is still the one the snapshot lists, else the repository's.
    fn load_targets(&mut self, role: &str, delegator: &str) -> Result<()> {
        if self.set.targets(role).is_some() {
            return Ok(self.set.trust_via(role, delegator)?);
        }
        if let Some(local) = self.dir.load(role, self.config.targets_max_length)? {
            match self.set.update_targets(role, delegator, local) {
                Ok(_) => return Ok(()),
                Err(e) => log::debug!("the stored {role} is not the one the snapshot lists: {e}"),
            }
        }
        let meta = self.set.snapshot_meta(role)?.clone();
        let version = self.set.consistent_snapshot().then_some(meta.version);
        let bytes = self.fetch(role, version, meta.length.unwrap_or(self.config.targets_max_length))?;
        self.set.update_targets(role, delegator, bytes.clone())?;
        self.dir.persist(role, &bytes)
    }

    /// The target file `path` as the first role of the delegation search (5.6.7) lists
    /// it; `None` when no role the search may visit lists it. Refreshes first when this
    /// updater has not. Delegated roles are loaded as the search reaches them.
    pub fn get_target_info(&mut self, path: &str) -> Result<Option<TargetInfo>> {
        if !self.refreshed {
            self.refresh()?;
        }
        let mut search = DelegationSearch::new(path, self.config.max_delegations);
        loop {
            let (role, delegator) = match search.next(&self.set) {
                Step::Found { role, file } => return Ok(Some(TargetInfo { path: path.to_owned(), role, file })),
                Step::Malformed { role, reason } => return Err(trust_tuf::Error::malformed(role, reason).into()),
                Step::NotFound { limit_reached } => {
                    if limit_reached {
                        log::debug!(
                            "{path}: the search stopped after {} delegated roles (the limit)",
                            self.config.max_delegations
                        );
                    }
                    return Ok(None);
                }
                Step::Load { role, delegator } => (role, delegator),
            };
            self.load_targets(&role, &delegator)?;
        }
    }

    fn target_dir(&self) -> Result<&Path> {
        self.target_dir.as_deref().ok_or_else(|| Error::InvalidInput("no target directory given (--target-dir)".into()))
    }

    /// Where target `info` is stored: its path percent-encoded into one file name in
    /// the target directory (as python-tuf names it), so a changed target replaces the
    /// old one under the same name.
    pub fn target_file(&self, info: &TargetInfo) -> Result<PathBuf> {
        Ok(self.target_dir()?.join(quote_role(&info.path)))
    }

    /// The stored copy of `info` when its length and hashes match (5.7); `None` when
    /// there is none or it differs.
    pub fn find_cached_target(&self, info: &TargetInfo) -> Result<Option<PathBuf>> {
        let path = self.target_file(info)?;
        let Ok(mut file) = std::fs::File::open(&path) else {
            return Ok(None);
        };
        let Ok(mut hasher) = Hasher::new(Some(info.file.length), Some(&info.file.hashes)) else {
            return Ok(None);
        };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf).map_err(|e| Error::io(&path, e))?;
            if n == 0 {
                break;
            }
            if hasher.update(&buf[..n]).is_err() {
                return Ok(None);
            }
        }
        Ok(hasher.finish().is_ok().then_some(path))
    }

    /// Downloads target `info` (5.7) and stores it once its length and hashes match;
    /// a mismatch leaves nothing in the target directory. Returns where it was stored.
    pub fn download_target(&self, info: &TargetInfo) -> Result<PathBuf> {
        let base = self
            .target_base_url
            .as_deref()
            .ok_or_else(|| Error::InvalidInput("no target base URL given (--target-base-url)".into()))?;
        let hash = match self.set.consistent_snapshot() && self.config.prefix_targets_with_hash {
            true => info.file.hashes.values().next().map(String::as_str),
            false => None,
        };
        let url = format!("{base}{}", url_path(&target_file_name(&info.path, hash)));
        let dest = self.target_file(info)?;
        let dir = self.target_dir()?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut hasher = Hasher::new(Some(info.file.length), Some(&info.file.hashes))
            .map_err(|e| Error::verification(&info.path, e))?;
        let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
        self.fetcher.stream(&url, info.file.length, &info.path, |chunk| {
            hasher.update(chunk).map_err(|e| Error::verification(&info.path, e))?;
            std::io::Write::write_all(&mut tmp, chunk).map_err(|e| Error::io(tmp.path(), e))
        })?;
        hasher.finish().map_err(|e| Error::verification(&info.path, format!("the downloaded file: {e}")))?;
        tmp.as_file().sync_all().map_err(|e| Error::io(tmp.path(), e))?;
        tmp.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
        Ok(dest)
    }

    /// Each of `paths` in turn (the conformance client's `download`): found by the
    /// delegation search, then taken from the target directory when the stored copy
    /// matches, else downloaded. Stops at the first target that is not found or fails.
    /// Returns each target's stored file and whether it was downloaded.
    pub fn download_targets(&mut self, paths: &[String]) -> Result<Vec<(PathBuf, bool)>> {
        paths
            .iter()
            .map(|path| {
                self.fetch_target(path)?.ok_or_else(|| {
                    Error::InvalidInput(format!("{path}: no role trusted for this target path lists it"))
                })
            })
            .collect()
    }

    /// Target `path` in the target directory: found by the delegation search, then the
    /// stored copy when it matches, else downloaded. Returns the stored file and whether
    /// it was downloaded; `None` when no role the search may visit lists `path`.
    pub fn fetch_target(&mut self, path: &str) -> Result<Option<(PathBuf, bool)>> {
        let Some(info) = self.get_target_info(path)? else {
            return Ok(None);
        };
        Ok(Some(match self.find_cached_target(&info)? {
            Some(stored) => (stored, false),
            None => (self.download_target(&info)?, true),
        }))
    }

    /// The trusted metadata so far.
    pub fn trusted(&self) -> &TrustedSet {
        &self.set
    }
}
