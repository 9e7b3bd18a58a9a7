//! Wire types: Notary v1 metadata exactly as notary-server stores and serves it.
//!
//! These types are for reading verified values. They ignore fields they do not know;
//! code that edits and re-signs metadata works on the generic JSON value instead, so
//! unknown fields survive a round trip.

mod b64;
mod envelope;
mod expiry;
mod key;
mod meta;
mod root;
mod snapshot;
mod target_map;
mod targets;
mod timestamp;

pub use envelope::{Envelope, Signature, write_envelope};
pub use expiry::Expiry;
pub use key::{KeyType, PublicKey};
pub use meta::{FileMeta, Hashes};
pub use root::{RoleKeys, Root};
pub use snapshot::Snapshot;
pub use target_map::TargetMap;
pub(crate) use targets::hex_prefix_matches;
pub use targets::{DelegatedRole, Delegations, Targets};
pub use timestamp::Timestamp;

/// The four top-level roles of a Notary repository.
pub const BASE_ROLES: [&str; 4] = ["root", "targets", "snapshot", "timestamp"];

/// Checks a role name as notary does: a base role, or a delegation that starts with
/// `targets/`, uses only `[-a-z0-9_/]`, is shorter than 256 bytes and is already clean
/// (no empty, `.` or `..` segments, no trailing slash).
pub fn is_valid_role_name(name: &str) -> bool {
    if BASE_ROLES.contains(&name) {
        return true;
    }
    let Some(rest) = name.strip_prefix("targets/") else {
        return false;
    };
    name.len() < 256
        && name.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'/'))
        && rest.split('/').all(|seg| !seg.is_empty())
}

/// The parent role of a delegation (`targets/a/b` → `targets/a`); `None` for base roles.
pub fn parent_role(name: &str) -> Option<&str> {
    name.strip_prefix("targets/")?;
    name.rsplit_once('/').map(|(parent, _)| parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names() {
        for ok in ["root", "targets", "targets/releases", "targets/team/bob", "targets/a-b_c9"] {
            assert!(is_valid_role_name(ok), "{ok}");
        }
        for bad in
            ["Targets", "targets/", "targets//a", "targets/A", "targets/../x", "targets/a/", "other", "targets/a.b"]
        {
            assert!(!is_valid_role_name(bad), "{bad}");
        }
    }

    #[test]
    fn parents() {
        assert_eq!(parent_role("targets/releases"), Some("targets"));
        assert_eq!(parent_role("targets/team/bob"), Some("targets/team"));
        assert_eq!(parent_role("targets"), None);
    }
}
