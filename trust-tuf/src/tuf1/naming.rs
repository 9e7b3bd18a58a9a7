//! File names of TUF 1.0 metadata and targets on a repository, with and without
//! consistent snapshots. The updater joins these to its base URLs.

/// The file name of role `role`'s metadata at `version`:
///
/// - root: always `N.root.json` (the root update loop fetches versions in turn);
/// - timestamp: always `timestamp.json`;
/// - snapshot, targets and delegated roles: `N.<role>.json` when `consistent` (the
///   repository's `consistent_snapshot`), `<role>.json` otherwise.
///
/// The role name is not escaped; see [`quote_role`] for URLs.
pub fn metadata_file_name(role: &str, version: u64, consistent: bool) -> String {
    match role {
        "root" => format!("{version}.root.json"),
        "timestamp" => "timestamp.json".into(),
        _ if consistent => format!("{version}.{role}.json"),
        _ => format!("{role}.json"),
    }
}

/// The unversioned name a client stores trusted metadata under: `<role>.json`, the
/// role name quoted with [`quote_role`] (as python-tuf's client does), so a
/// delegated role's name can never reach outside the metadata directory (`a/b` is
/// stored as `a%2Fb.json`, `..` as `...json`).
pub fn stored_file_name(role: &str) -> String {
    format!("{}.json", quote_role(role))
}

/// The repository path of target `path`: with consistent snapshots the file name
/// (the last part of the path) is prefixed with one of the target's hex hashes,
/// `dir/HASH.name`; otherwise the path as it is.
pub fn target_file_name(path: &str, hash_hex: Option<&str>) -> String {
    match hash_hex {
        None => path.to_owned(),
        Some(hash) => match path.rsplit_once('/') {
            Some((dir, name)) => format!("{dir}/{hash}.{name}"),
            None => format!("{hash}.{path}"),
        },
    }
}

/// `name` percent-encoded for one URL path segment, every byte but ASCII letters,
/// digits and `-._~` encoded (as python-tuf quotes role names, so a role named
/// `a/b` is fetched as `a%2Fb.json`).
pub fn quote_role(name: &str) -> String {
    crate::percent::encode(name, crate::percent::is_unreserved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(metadata_file_name("root", 3, false), "3.root.json");
        assert_eq!(metadata_file_name("timestamp", 9, true), "timestamp.json");
        assert_eq!(metadata_file_name("snapshot", 2, true), "2.snapshot.json");
        assert_eq!(metadata_file_name("snapshot", 2, false), "snapshot.json");
        assert_eq!(metadata_file_name("bin-3", 1, true), "1.bin-3.json");
        assert_eq!(stored_file_name("targets"), "targets.json");
        assert_eq!(stored_file_name("../../etc/x"), "..%2F..%2Fetc%2Fx.json");
        assert_eq!(stored_file_name(".."), "...json");
        assert_eq!(target_file_name("a/b/c.txt", Some("ff")), "a/b/ff.c.txt");
        assert_eq!(target_file_name("c.txt", Some("ff")), "ff.c.txt");
        assert_eq!(target_file_name("a/c.txt", None), "a/c.txt");
        assert_eq!(quote_role("a/b c~"), "a%2Fb%20c~");
    }
}
