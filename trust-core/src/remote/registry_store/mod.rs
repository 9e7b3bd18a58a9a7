//! The registry store, read side: Notary v1 trust data kept in an OCI registry
//! (`--server oci://`), as docs/registry-store.md specifies. A repository's files are
//! the layers of one manifest under one tag ([`Layout`]); a file a hash pins is read as
//! the blob of that digest. Uploads are [`crate::publish::upload::registry`]'s.

mod layout;
mod remote;

pub use crate::registry_location::{Location, OWN_TAG, dedicated_tag};
pub(crate) use layout::EMPTY_CONFIG;
pub use layout::{ARTIFACT_TYPE, FILENAME_ANNOTATION, GUN_ANNOTATION, Layer, Layout, METADATA_MEDIA_TYPE};
pub use remote::{Current, RegistryRemote};
