//! Trust-data bundles: a complete, verified copy of repositories' trust data taken off
//! a trust server, to verify against where no server can be reached (air-gapped
//! clusters, or after a server such as notary.docker.io is retired).
//!
//! A bundle is a directory, or one `.tar` / `.tar.gz` file of that directory:
//!
//! ```text
//! manifest.json                          what the bundle holds (see [`manifest`])
//! v2/<gun>/_trust/tuf/1.root.json        every root version, 1 … current
//! v2/<gun>/_trust/tuf/root.json          the current root
//! v2/<gun>/_trust/tuf/timestamp.json     timestamp, snapshot, targets
//! v2/<gun>/_trust/tuf/targets/<r>.json   every delegation the snapshot lists
//! ```
//!
//! Below `manifest.json` the layout is the file remote's ([`crate::remote::FileRemote`]),
//! so a bundle directory also reads as `file:///<bundle>`. Every file's SHA-256 and
//! length is in the manifest; a reader checks them before the TUF verification, which
//! then checks every signature, threshold, hash and version as the online client does.

pub mod archive;
pub mod export;
pub mod manifest;
mod open;
mod reader;
pub mod refresh;
mod remote;
mod swap;
mod update;

pub use manifest::{FileEntry, MANIFEST_FILE, Manifest, RepositoryEntry};
pub use open::{Bundle, MAX_UNPACKED_BYTES};
pub use remote::BundleRemote;
pub use update::{UpdateReport, update};

#[cfg(test)]
pub(crate) use trust_test_support::bundle as test_support;
