//! Trust-data bundles as a reader meets them (`trust_core::bundle`): the manifest
//! parser and the archive unpacker, on hostile bytes.
//!
//! Input: a flags byte, then the bytes. Flag bit 0 fuzzes the bytes as `manifest.json`
//! (`Manifest::parse`); else they are written to a file and unpacked as an archive
//! (`archive::unpack`, tar or gzip by magic) with a 1 MiB cap.
//! No panic; an accepted manifest has only names that stay inside the bundle and
//! survives a round trip; an accepted archive wrote only regular files and
//! directories below the target, and a refused one left nothing behind.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use trust_core::bundle::Manifest;
use trust_core::bundle::archive::unpack;
use trust_core::bundle::manifest::check_file_name;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, data)) = data.split_first() else {
        return;
    };
    if flags & 1 == 1 {
        if let Ok(manifest) = Manifest::parse(data) {
            for (gun, repo) in &manifest.repositories {
                assert!(trust_core::reference::check_gun(gun).is_ok(), "{gun}");
                for name in repo.files.keys() {
                    assert!(check_file_name(name).is_ok() && !name.contains(".."), "{name}");
                }
            }
            assert_eq!(Manifest::parse(&manifest.to_bytes()).ok(), Some(manifest));
        }
        return;
    }
    let Ok(work) = tempfile::tempdir() else { return };
    let src = work.path().join("bundle.tar");
    if std::fs::write(&src, data).is_err() {
        return;
    }
    let into = work.path().join("out");
    match unpack(&src, &into, 1 << 20) {
        Ok(()) => check_tree(&into),
        Err(_) => assert!(!into.exists(), "a refused archive left {}", into.display()),
    }
});

/// Everything below `dir` is a regular file or a directory (no links).
fn check_tree(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        assert!(kind.is_file() || kind.is_dir(), "{:?} is neither a file nor a directory", entry.path());
        if kind.is_dir() {
            check_tree(&entry.path());
        }
    }
}
