//! Where a signed update goes: the store behind a client's remote
//! ([`crate::remote::Remote::store`]), as an [`Upload`].
//!
//! - a notary-server takes the files over its API and signs the timestamp (and the
//!   snapshot, unless the client signed it) itself ([`notary`]);
//! - a `file://` directory takes them under a lock and signs snapshot and timestamp with
//!   its own keys ([`crate::publish::file_store`]);
//! - the registry store takes blobs and one manifest under the repository's tag; the
//!   publisher signs snapshot and timestamp ([`registry`]);
//! - anything else (a bundle, a test double) takes no updates ([`ReadOnly`]).

pub mod notary;
mod read_only;
pub mod registry;

use crate::remote::{Remote, Store};
use crate::{Error, Result};
use trust_tuf::wire::PublicKey;

pub use read_only::ReadOnly;

/// A store that takes signed updates of repositories.
pub trait Upload {
    /// Uploads new metadata for `gun` in one atomic update (role name → file bytes).
    /// The server signs a new snapshot and timestamp. A concurrent update that got
    /// there first is [`Error::Conflict`].
    fn publish(&self, gun: &str, files: &[(String, Vec<u8>)]) -> Result<()>;

    /// The public key of a role the server signs (`snapshot`, `timestamp`), created
    /// on first request.
    fn server_key(&self, gun: &str, role: &str) -> Result<PublicKey>;

    /// A new key for a role the server signs (`snapshot`, `timestamp`), replacing the
    /// current one once a root listing it is published (notary-server's `POST
    /// <role>.key`, which needs push and delete access).
    fn rotate_server_key(&self, gun: &str, role: &str) -> Result<PublicKey>;

    /// Whether an update may carry a `role` file the client signed (`snapshot`):
    /// notary-server takes a client-signed snapshot; no store takes a client-signed
    /// timestamp (notary-server ignores one, the file remote signs its own).
    fn accepts_client_signed(&self, role: &str) -> bool {
        let _ = role;
        false
    }

    /// Whether the publisher holds and signs with the snapshot and timestamp keys: a
    /// store with no server to sign them (the registry store). A new repository then
    /// gets publisher-held snapshot and timestamp keys instead of [`Upload::server_key`],
    /// and every update carries a snapshot and a timestamp the client signed.
    fn publisher_signs(&self) -> bool {
        false
    }

    /// Whether [`Upload::store_root_history`] stores earlier root versions. notary-server
    /// does not: it takes a new repository's first root only as version 1 or 2, and
    /// signs a snapshot for each root it takes.
    fn stores_root_history(&self) -> bool {
        false
    }

    /// Stores earlier root versions of a repository the store holds nothing for
    /// yet (`<N>.root.json`, in order), so that clients holding any of them can follow
    /// the chain to the root published next. A store that cannot take them says so.
    fn store_root_history(&self, gun: &str, roots: &[Vec<u8>]) -> Result<()> {
        let _ = (gun, roots);
        Err(Error::InvalidInput(format!("{} does not take earlier root versions", self.url())))
    }

    /// Deletes every file of `gun` on the store (notary-server's `DELETE
    /// <gun>/_trust/tuf/`, as `notary delete --remote` sends it). A store that cannot
    /// says so.
    fn delete_repository(&self, gun: &str) -> Result<()> {
        let _ = gun;
        Err(Error::InvalidInput(format!("{} does not take deletes", self.url())))
    }

    /// The URL for messages, e.g. `https://localhost:4443`.
    fn url(&self) -> &str;
}

/// The store `remote` reads from, to upload to.
pub fn to(remote: &dyn Remote) -> Box<dyn Upload + '_> {
    match remote.store() {
        Store::Notary(server) => Box::new(notary::NotaryUpload::new(server)),
        Store::File(dir) => Box::new(crate::publish::file_store::FileStore::new(dir)),
        Store::Registry(registry) => Box::new(registry::RegistryUpload::new(registry)),
        Store::ReadOnly { reason } => Box::new(ReadOnly::new(remote.url(), reason)),
    }
}
