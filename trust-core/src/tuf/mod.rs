//! A TUF 1.0 client: the specification's updater for any TUF 1.0 repository
//! (python-tuf and go-tuf repositories, Sigstore's root, tuf-on-ci), beside the Notary
//! v1 client the rest of this crate is.
//!
//! [`init`] stores a trusted root; [`Updater::refresh`] updates the top-level metadata;
//! [`Updater::get_target_info`] finds a target by the delegation search, loading
//! delegated roles lazily; [`Updater::find_cached_target`] and
//! [`Updater::download_target`] check and fetch target files. Every decision is
//! [`trust_tuf::tuf1::trusted`]'s (see its table of the specification's steps); this
//! module fetches over HTTP under the usual download limits and stores what was
//! accepted in the metadata directory, each role under its plain name, as python-tuf
//! does.
//!
//! ```
//! # fn main() -> Result<(), trust_core::Error> {
//! let dir = tempfile::tempdir().unwrap();
//! let root = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/tuf1/basic/metadata/root.json")).unwrap();
//! trust_core::tuf::init(dir.path(), &root)?;
//! assert!(dir.path().join("root.json").is_file());
//! // A repository that cannot be reached: the refresh fails and stores nothing more.
//! let mut updater = trust_core::tuf::Updater::new(
//!     dir.path(),
//!     "http://127.0.0.1:9/metadata",
//!     None,
//!     None,
//!     trust_core::tuf::UpdaterConfig::default(),
//! )?;
//! assert!(updater.refresh().is_err());
//! assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
//! # Ok(())
//! # }
//! ```

mod fetch;
mod metadata_dir;
mod updater;

pub use updater::{TargetInfo, Updater, UpdaterConfig, init};
