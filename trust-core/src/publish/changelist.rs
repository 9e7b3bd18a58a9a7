//! Changes staged on disk before any network call. The changes of one operation
//! form a group, staged as one file written atomically (one fsync of the file and one
//! of its directory, however many changes): published whole or not at all.
//!
//! ```text
//! <trust dir>/tuf/<gun>/changelist/
//!   groups/<20-digit unix nanos>_<random>.changes   a group: a JSON array of changes
//!   <20-digit unix nanos>_<uuid>.change             notary's: one change per file
//!   <nanos>_<random>-<i>of<n>.change                older versions' groups, one change per file
//! ```
//!
//! Each change is in notary's change format ([`Change`]). Notary and docker read
//! the files of `changelist/` itself and skip (and never clear) its subdirectories,
//! so a group stays for the next `trust` command while one staged by notary is
//! published by either tool. A publish applies every change in the order of the
//! file names (their time stamps), and clears exactly the files it applied, only
//! after the server accepted them; a failed publish leaves them for the next command.

use std::path::{Path, PathBuf};

use super::change::Change;
use crate::{Error, Result};

/// The staged changes of one repository.
#[derive(Debug, Clone)]
pub struct Changelist {
    dir: PathBuf,
}

/// A change and the file that holds it.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The file that holds it (a group's file holds each of the group's changes).
    pub path: PathBuf,
    /// The change.
    pub change: Change,
}

/// The subdirectory of groups, which notary and docker do not read.
const GROUPS: &str = "groups";

/// How a group's file name ends.
const GROUP_EXTENSION: &str = "changes";

impl Changelist {
    /// The changelist of `gun` under `trust_dir`.
    pub fn open(trust_dir: &Path, gun: &str) -> Result<Self> {
        trust_tuf::reference::check_gun(gun)?;
        Ok(Changelist { dir: trust_dir.join("tuf").join(gun).join("changelist") })
    }

    /// Stages `change` as a group of its own and returns its file.
    pub fn stage(&self, change: &Change) -> Result<PathBuf> {
        self.stage_group(std::slice::from_ref(change))
    }

    /// Stages `changes` as one group, all or none, and returns its file
    /// (`groups/<nanos>_<random>.changes`): written atomically under the publish lock,
    /// so a killed writer leaves either the whole group or nothing (its temporary
    /// file is removed by the next writer), and durable once this returns.
    pub fn stage_group(&self, changes: &[Change]) -> Result<PathBuf> {
        if changes.is_empty() {
            return Err(Error::InvalidInput("no change to stage".into()));
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut random = [0u8; 8];
        trust_tuf::crypto::backend::rand::SecureRandom::fill(
            &trust_tuf::crypto::backend::rand::SystemRandom::new(),
            &mut random,
        )
        .map_err(|_| Error::InvalidInput("no randomness for a change file name".into()))?;
        let path = self.dir.join(GROUPS).join(format!("{nanos:020}_{}.{GROUP_EXTENSION}", hex::encode(random)));
        let bytes = serde_json::to_vec(changes).map_err(|e| Error::InvalidInput(e.to_string()))?;
        let _lock = self.lock()?;
        crate::atomic_file::write(&path, &bytes, crate::atomic_file::Access::Private, false)?;
        Ok(path)
    }

    /// Takes the repository's publish lock (`tuf/<gun>/publish.lock`): publishers and
    /// stagers sharing a trust directory take turns (processes on other machines are
    /// handled by the server's versions). Held until the file is dropped.
    pub fn lock(&self) -> Result<std::fs::File> {
        let dir = self.dir.parent().ok_or_else(|| Error::InvalidInput("changelist has no parent".into()))?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        crate::atomic_file::lock(&dir.join("publish.lock"))
    }

    /// Removes the files of groups an older version, staging one file per change,
    /// left incomplete when it was killed. Call it holding the publish lock (a
    /// complete group is staged under it, so an incomplete one seen then has no live
    /// writer). Returns how many files were removed.
    pub fn remove_incomplete(&self) -> Result<usize> {
        let (_, incomplete) = self.scan()?;
        for path in &incomplete {
            remove_present(path)?;
        }
        Ok(incomplete.len())
    }

    /// The staged files, sorted by name (oldest first): groups, notary's files and
    /// complete groups of one file per change; and the files of incomplete groups.
    fn scan(&self) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
        let mut paths = files_ending(&self.dir, "change")?;
        let mut members: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for p in &paths {
            if let Some((group, _, _)) = group_of(p) {
                *members.entry(group).or_default() += 1;
            }
        }
        paths.extend(files_ending(&self.dir.join(GROUPS), GROUP_EXTENSION)?);
        paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        Ok(paths.into_iter().partition(|p| match group_of(p) {
            Some((group, _, n)) => members.get(&group) == Some(&n),
            None => true,
        }))
    }

    /// Every staged change, oldest first, except those of incomplete groups (see
    /// [`Changelist::remove_incomplete`]). A file that cannot be read is an error that
    /// names it (nothing is dropped silently).
    pub fn list(&self) -> Result<Vec<Staged>> {
        let (paths, _) = self.scan()?;
        let mut staged = Vec::new();
        for path in paths {
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            let unreadable = |e: serde_json::Error| {
                Error::InvalidInput(format!("staged change {} cannot be read ({e}); remove it", path.display()))
            };
            if path.extension().is_some_and(|x| x == GROUP_EXTENSION) {
                let changes: Vec<Change> = serde_json::from_slice(&bytes).map_err(unreadable)?;
                staged.extend(changes.into_iter().map(|change| Staged { path: path.clone(), change }));
            } else {
                let change = serde_json::from_slice(&bytes).map_err(unreadable)?;
                staged.push(Staged { path, change });
            }
        }
        Ok(staged)
    }

    /// Removes the files of the given staged changes (after the server accepted them;
    /// a group's file goes with all its changes).
    pub fn clear(&self, staged: &[Staged]) -> Result<()> {
        let mut paths: Vec<&Path> = staged.iter().map(|s| s.path.as_path()).collect();
        paths.dedup();
        for path in paths {
            remove_present(path)?;
        }
        Ok(())
    }

    /// Discards the changes of `staged` (as [`Changelist::list`] returned it) whose
    /// positions are in `chosen`, all or nothing: a file whose changes are all chosen
    /// is removed; a group's file keeping some is rewritten atomically with the rest.
    /// A position past the end, or part of a group an older version staged one file
    /// per change, is an error before anything changes. Call it holding the publish
    /// lock. Returns how many changes were discarded.
    pub fn discard(&self, staged: &[Staged], chosen: &std::collections::BTreeSet<usize>) -> Result<usize> {
        if let Some(&past) = chosen.iter().find(|&&n| n >= staged.len()) {
            let listed = match staged.len() {
                0 => "there are no staged changes".to_owned(),
                1 => "`trust status` lists one, #0".to_owned(),
                n => format!("`trust status` numbers them from 0 to {}", n - 1),
            };
            return Err(Error::InvalidInput(format!(
                "there is no staged change #{past}: {listed}; nothing was discarded"
            )));
        }
        let mut plan: Vec<(&Path, Vec<Change>, bool)> = Vec::new();
        for (n, s) in staged.iter().enumerate() {
            let discard = chosen.contains(&n);
            match plan.last_mut() {
                Some((path, kept, any)) if *path == s.path.as_path() => {
                    *any |= discard;
                    if !discard {
                        kept.push(s.change.clone());
                    }
                }
                _ => plan.push((&s.path, if discard { vec![] } else { vec![s.change.clone()] }, discard)),
            }
        }
        // Old-style groups: one file per change, complete only with every member.
        let mut old_groups: std::collections::HashMap<String, (usize, usize)> = std::collections::HashMap::new();
        for (path, kept, any) in &plan {
            if let Some((group, _, _)) = group_of(path) {
                let entry = old_groups.entry(group).or_default();
                entry.0 += usize::from(*any);
                entry.1 += usize::from(!kept.is_empty());
            }
        }
        if old_groups.values().any(|&(discarded, kept)| discarded > 0 && kept > 0) {
            return Err(Error::InvalidInput(
                "some of these changes were staged together, one file each, by an older version of trust, \
                 and can only be discarded together: choose every change of that group, or use --all; \
                 nothing was discarded"
                    .into(),
            ));
        }
        for (path, kept, any) in &plan {
            if !any {
                continue;
            }
            if kept.is_empty() {
                remove_present(path)?;
            } else {
                let bytes = serde_json::to_vec(kept).map_err(|e| Error::InvalidInput(e.to_string()))?;
                crate::atomic_file::write(path, &bytes, crate::atomic_file::Access::Private, true)?;
            }
        }
        Ok(chosen.len())
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Removes the file at `path`; one already gone is no error.
fn remove_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// The files in `dir` whose names end in `.extension`; none when `dir` is missing.
fn files_ending(dir: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(Error::io(dir, e)),
    };
    Ok(entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == extension) && p.is_file())
        .collect())
}

/// A grouped change file's group, index and group size
/// (`<group>-<i>of<n>.change`); None for an ungrouped name.
fn group_of(path: &Path) -> Option<(String, usize, usize)> {
    let stem = path.file_stem()?.to_str()?;
    let (group, position) = stem.rsplit_once('-')?;
    let (i, n) = position.split_once("of")?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(i) || !digits(n) {
        return None;
    }
    Some((group.to_owned(), i.parse().ok()?, n.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trust_tuf::wire::FileMeta;

    #[test]
    fn stages_in_order_and_clears_only_what_was_applied() {
        let dir = tempfile::tempdir().unwrap();
        let cl = Changelist::open(dir.path(), "example.com/app").unwrap();
        assert!(cl.list().unwrap().is_empty());
        let a = Change::add_target("targets", "v1", &FileMeta::for_bytes(b"1"));
        let b = Change::remove_target("targets", "v0");
        cl.stage(&a).unwrap();
        cl.stage(&b).unwrap();
        let staged = cl.list().unwrap();
        assert_eq!(staged.iter().map(|s| s.change.clone()).collect::<Vec<_>>(), vec![a, b.clone()]);
        cl.clear(&staged[..1]).unwrap();
        let rest = cl.list().unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].change, b);
    }

    #[test]
    fn a_group_is_one_file_listed_in_order_with_notary_files() {
        let dir = tempfile::tempdir().unwrap();
        let cl = Changelist::open(dir.path(), "example.com/app").unwrap();
        let a = Change::add_target("targets/releases", "v1", &FileMeta::for_bytes(b"1"));
        let b = Change::add_target("targets/alice", "v1", &FileMeta::for_bytes(b"1"));
        let c = Change::add_target("targets", "v2", &FileMeta::for_bytes(b"2"));
        let group = cl.stage_group(&[a.clone(), b.clone()]).unwrap();
        // notary's own names, before and after the group, are listed in time order.
        for name in ["00000000000000000001_0b3c4d5e-aaaa-bbbb-cccc-0123456789ab", "99999999999999999999_1b3c4d5e-aaaa"]
        {
            std::fs::write(cl.dir().join(format!("{name}.change")), serde_json::to_vec(&c).unwrap()).unwrap();
        }
        let staged = cl.list().unwrap();
        let listed: Vec<Change> = staged.iter().map(|s| s.change.clone()).collect();
        assert_eq!(listed, vec![c.clone(), a, b, c]);
        assert_eq!((staged[1].path.clone(), staged[2].path.clone()), (group.clone(), group.clone()));
        let names: Vec<_> = std::fs::read_dir(group.parent().unwrap()).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(names, std::slice::from_ref(&group), "one file, no temporary file left");
        cl.clear(&staged[1..3]).unwrap();
        assert!(!group.exists());
        assert_eq!(cl.list().unwrap().len(), 2);
        assert_eq!(cl.stage_group(&[]).unwrap_err().kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn discarding_chosen_changes_rewrites_a_group_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let cl = Changelist::open(dir.path(), "example.com/app").unwrap();
        let a = Change::add_target("targets", "v1", &FileMeta::for_bytes(b"1"));
        let b = Change::add_target("targets", "v2", &FileMeta::for_bytes(b"2"));
        let c = Change::remove_target("targets", "v0");
        let group = cl.stage_group(&[a.clone(), b.clone()]).unwrap();
        cl.stage(&c).unwrap();
        let staged = cl.list().unwrap();
        let before = std::fs::read(&group).unwrap();
        let err = cl.discard(&staged, &[1, 3].into()).unwrap_err();
        assert!(err.to_string().contains("no staged change #3"), "{err}");
        assert_eq!(std::fs::read(&group).unwrap(), before, "nothing changed on a bad number");
        assert_eq!(cl.discard(&staged, &[1].into()).unwrap(), 1);
        let rest: Vec<Change> = cl.list().unwrap().into_iter().map(|s| s.change).collect();
        assert_eq!(rest, vec![a, c.clone()]);
        let staged = cl.list().unwrap();
        assert_eq!(cl.discard(&staged, &[0].into()).unwrap(), 1);
        assert!(!group.exists(), "a group with nothing left is removed");
        let rest: Vec<Change> = cl.list().unwrap().into_iter().map(|s| s.change).collect();
        assert_eq!(rest, vec![c]);
    }

    #[test]
    fn an_old_style_group_is_discarded_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let cl = Changelist::open(dir.path(), "example.com/app").unwrap();
        let a = Change::add_target("targets", "v1", &FileMeta::for_bytes(b"1"));
        std::fs::create_dir_all(cl.dir()).unwrap();
        for name in ["00000000000000000001_aa-00000001of00000002", "00000000000000000001_aa-00000002of00000002"] {
            std::fs::write(cl.dir().join(format!("{name}.change")), serde_json::to_vec(&a).unwrap()).unwrap();
        }
        let staged = cl.list().unwrap();
        assert!(cl.discard(&staged, &[0].into()).unwrap_err().to_string().contains("together"));
        assert_eq!(cl.list().unwrap().len(), 2);
        assert_eq!(cl.discard(&staged, &[0, 1].into()).unwrap(), 2);
        assert!(cl.list().unwrap().is_empty());
    }

    #[test]
    fn an_incomplete_group_of_an_older_version_is_not_listed_and_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cl = Changelist::open(dir.path(), "example.com/app").unwrap();
        let a = Change::add_target("targets/releases", "v1", &FileMeta::for_bytes(b"1"));
        let b = Change::add_target("targets/alice", "v1", &FileMeta::for_bytes(b"1"));
        std::fs::create_dir_all(cl.dir()).unwrap();
        let write = |name: &str, change: &Change| {
            let path = cl.dir().join(name);
            std::fs::write(&path, serde_json::to_vec(change).unwrap()).unwrap();
            path
        };
        // One file per change, named <group>-<i>of<n>: the second group lost its second file.
        let whole = [
            write("00000000000000000001_aa-00000001of00000002.change", &a),
            write("00000000000000000001_aa-00000002of00000002.change", &b),
        ];
        let torn = write("00000000000000000002_bb-00000001of00000002.change", &a);
        let listed: Vec<Change> = cl.list().unwrap().into_iter().map(|s| s.change).collect();
        assert_eq!(listed, vec![a, b]);
        assert_eq!(cl.remove_incomplete().unwrap(), 1);
        assert!(!torn.exists() && whole.iter().all(|p| p.exists()));
        assert_eq!(cl.list().unwrap().len(), 2);
    }

    #[test]
    fn an_unreadable_change_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cl = Changelist::open(dir.path(), "example.com/app").unwrap();
        std::fs::create_dir_all(cl.dir()).unwrap();
        std::fs::write(cl.dir().join("00000000000000000001_x.change"), b"{not json").unwrap();
        let err = cl.list().unwrap_err().to_string();
        assert!(err.contains("00000000000000000001_x.change") && err.contains("remove it"), "{err}");
    }
}
