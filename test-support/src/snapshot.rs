//! Every file under a directory with its bytes: what "nothing was written" and
//! "the cache did not change" compare.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Every regular file under `dir` (relative path → bytes); empty when `dir` does
/// not exist.
pub fn snapshot_dir(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// [`snapshot_dir`] without the empty `publish.lock` files a command opens to take
/// turns: private keys, staged changes, cached metadata, freshness records.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = snapshot_dir(dir);
    out.retain(|path, _| path.file_name().is_some_and(|n| n != "publish.lock"));
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.expect("read_dir entry").path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            out.insert(path.strip_prefix(root).unwrap().to_owned(), fs::read(&path).unwrap());
        }
    }
}
