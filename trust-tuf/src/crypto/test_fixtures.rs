//! Test helpers: the real notary 0.3 metadata in `fixtures/notary0.3/`.

use std::path::PathBuf;

use crate::wire::{Envelope, PublicKey, Root};

/// The bytes of `fixtures/notary0.3/<name>`.
pub(crate) fn notary03(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/notary0.3").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `signed` part of `root.json`.
pub(crate) fn notary03_root() -> Root {
    let bytes = notary03("root.json");
    let env = Envelope::parse(&bytes).unwrap();
    serde_json::from_str(env.signed.get()).unwrap()
}

/// The root role's key (an `ecdsa-x509` certificate for `docker.com/notary0.3/tst`).
pub(crate) fn notary03_root_key() -> PublicKey {
    let root = notary03_root();
    let id = &root.roles["root"].keyids[0];
    root.keys[id].clone()
}
