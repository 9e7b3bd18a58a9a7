//! `trust bundle update`: an air-gapped refresh. A new bundle replaces the installed
//! one only if, for every repository in both, its root chains from the installed
//! root and no role's version went down, and every repository it holds verifies in
//! full. The installed bundle is then replaced atomically, in its own form
//! (directory or archive); on any refusal it stays byte for byte as it was.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::archive::{is_archive_path, pack, parent_of, temp_dir_in};
use super::manifest::{MANIFEST_FILE, Manifest, file_path};
use super::open::Bundle;
use super::refresh::{check_root_chain, check_versions, versions};
use crate::client::ClientOptions;
use crate::{Error, Result};
use trust_tuf::trusted::Context;

/// What an update did, per repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateReport {
    /// Repositories in both bundles, with the installed and new root versions.
    pub updated: Vec<(String, u64, u64)>,
    /// Repositories only in the new bundle, trusted by its manifest's root pin.
    pub added: Vec<String>,
    /// Repositories only in the installed bundle, kept as they were.
    pub kept: Vec<String>,
}

/// Replaces the bundle at `installed` with the one at `new` if the new one may
/// replace it (see the module documentation). With `frozen`, expiry is checked as of
/// each repository's export; else as of `options.now` (the real now when unset).
pub fn update(installed: &Path, new: &Path, options: &ClientOptions, frozen: bool) -> Result<UpdateReport> {
    let old = Bundle::open(installed)?;
    let fresh = Bundle::open(new)?;
    let mut report = UpdateReport::default();
    for (gun, entry) in &fresh.manifest().repositories {
        // In full: every top-level role and every delegation the tree reaches.
        let named =
            |e: Error| e.noted(format!("{gun} in {} does not verify; the installed bundle is kept", new.display()));
        let reader = fresh.reader(gun, options.clone(), frozen).map_err(named)?;
        let mut repo = reader.update().map_err(named)?;
        repo.trust_info(None).map_err(|e| named(reader.explain(e)))?;
        let Ok(was) = old.repository(gun) else {
            report.added.push(gun.clone());
            continue;
        };
        let new_files = files_of(&fresh, gun)?;
        let old_files = files_of(&old, gun)?;
        let numbered: BTreeMap<u64, Vec<u8>> = new_files
            .iter()
            .filter_map(|(name, raw)| {
                let v = name.strip_suffix(".root.json")?.parse().ok()?;
                Some((v, raw.clone()))
            })
            .collect();
        let missing = |b: &Bundle| b.not_found(gun).noted("its manifest lists no root.json");
        let old_root = old_files.get("root.json").cloned().ok_or_else(|| missing(&old))?;
        let new_root = new_files.get("root.json").ok_or_else(|| missing(&fresh))?;
        let mut ctx = Context::new(gun.clone(), if frozen { entry.exported_at } else { reader.client().now() });
        ctx.limits = options.limits;
        ctx.provider = trust_tuf::crypto::provider(options.fips);
        check_root_chain(gun, old_root, new_root, entry.root_version, &numbered, ctx)?;
        check_versions(gun, &versions(&old_files)?, &versions(&new_files)?)?;
        report.updated.push((gun.clone(), was.root_version, entry.root_version));
    }
    let mut merged = fresh.manifest().clone();
    for (gun, entry) in &old.manifest().repositories {
        if !merged.repositories.contains_key(gun) {
            merged.repositories.insert(gun.clone(), entry.clone());
            report.kept.push(gun.clone());
        }
    }
    replace(installed, &old, &fresh, &merged)?;
    Ok(report)
}

/// Every file of `gun` in `bundle`, each checked against the manifest.
fn files_of(bundle: &Bundle, gun: &str) -> Result<BTreeMap<String, Vec<u8>>> {
    let entry = bundle.repository(gun)?;
    let mut out = BTreeMap::new();
    for name in entry.files.keys() {
        if let Some(raw) = bundle.read(gun, name, crate::bundle::MAX_UNPACKED_BYTES)? {
            out.insert(name.clone(), raw);
        }
    }
    Ok(out)
}

/// Writes `merged` (each repository's files from `fresh`, else from `old`) in place
/// of `installed`, keeping its form.
fn replace(installed: &Path, old: &Bundle, fresh: &Bundle, merged: &Manifest) -> Result<()> {
    let parent = parent_of(installed);
    let staging = temp_dir_in(&parent)?;
    for gun in merged.repositories.keys() {
        let from = if fresh.manifest().repositories.contains_key(gun) { fresh } else { old };
        for (name, raw) in files_of(from, gun)? {
            let path = file_path(staging.path(), gun, &name);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            fs::write(&path, raw).map_err(|e| Error::io(&path, e))?;
        }
    }
    let manifest_path = staging.path().join(MANIFEST_FILE);
    fs::write(&manifest_path, merged.to_bytes()).map_err(|e| Error::io(&manifest_path, e))?;
    if !installed.is_dir() {
        if !is_archive_path(installed) {
            return Err(Error::InvalidInput(format!(
                "{}: an installed bundle archive's name must end in .tar, .tar.gz or .tgz",
                installed.display()
            )));
        }
        return pack(staging.path(), installed);
    }
    super::swap::flush_to_disk(staging.path())?;
    // One step: the new directory in, the installed one into `staging`, which is
    // removed on drop.
    super::swap::exchange(staging.path(), installed)?;
    super::swap::sync_dir(&parent)?;
    Ok(())
}
