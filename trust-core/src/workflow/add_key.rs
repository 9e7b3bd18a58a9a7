//! Adding a signing key to a trust directory, the work behind `trust key generate` and
//! `trust key load`: make or read the key, store it (encrypted in `private/`, or as a
//! record of a key on a PKCS#11 token in `pkcs11/`), and write its public half where
//! the caller asked. Each workflow leaves nothing behind when a step fails: a key
//! whose public key file could not be written is removed from the store, and the
//! public key file of a token key that could not be recorded is removed.
//!
//! The front end names the failed step in its message: [`generate_key`] reports each
//! step to a callback as it starts ([`GenerateStep`]).

use std::path::{Component, Path, PathBuf};

use crate::atomic_file::{self, Access};
use crate::crypto::keyid::canonical_key_id;
use crate::crypto::signer::{KeyAlgorithm, PrivateKey};
use crate::keystore::passphrase::PassphraseSource;
use crate::keystore::pkcs11::{self, Pkcs11Uri};
use crate::keystore::{KeyFile, KeyStore, encode_public_key, is_public_key_file, read_key_file};
use crate::{Error, Result};

/// Where [`generate_key`] makes the key pair.
#[derive(Debug, Clone, Copy)]
pub enum NewKeyHome<'a> {
    /// In memory: the private key is stored encrypted in the trust directory.
    File(KeyAlgorithm),
    /// On the PKCS#11 token the URI names (ECDSA P-256): the private key never leaves
    /// it, and the trust directory records the URI.
    Token(&'a Pkcs11Uri),
}

/// A step of [`generate_key`], reported as it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerateStep {
    /// Making the key pair (and, for a file key, storing it).
    Generating,
    /// Writing the public key file.
    WritingPublicKey,
    /// Recording a token key in the trust directory.
    Registering,
}

/// A key [`generate_key`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedKey {
    /// The key's canonical ID.
    pub id: String,
    /// The public key file written: `DIR/NAME.pub`, cleaned as Go's `filepath.Join`
    /// cleans it (docker prints this path).
    pub public_key_file: PathBuf,
}

/// Makes a key pair named `name` (its role), stores it and writes its public half to
/// `dir/NAME.pub` (PEM with a `role` header, mode 0600, atomically), as `docker trust
/// key generate` does.
///
/// Refused before anything is made ([`Error::InvalidInput`]): `dir` is not a directory
/// (`public key path does not exist`), or `NAME.pub` exists there. `source` gives the
/// new key's passphrase (or the token's PIN). `step` hears of each step as it starts.
/// On a failure after the key was made, what this call added is removed again.
pub fn generate_key(
    store: &KeyStore,
    source: &dyn PassphraseSource,
    name: &str,
    home: NewKeyHome<'_>,
    dir: &Path,
    step: &mut dyn FnMut(GenerateStep),
) -> Result<GeneratedKey> {
    if !dir.is_dir() {
        return Err(Error::InvalidInput(format!("public key path does not exist: \"{}\"", dir.display())));
    }
    let public_key_file = public_key_file(dir, name);
    if public_key_file.symlink_metadata().is_ok() {
        return Err(Error::InvalidInput(format!("public key file already exists: \"{}\"", public_key_file.display())));
    }
    let write_public = |key: &PrivateKey| {
        let pem = encode_public_key(key, name)?;
        atomic_file::write(&public_key_file, pem.as_bytes(), Access::Private, false)
    };
    step(GenerateStep::Generating);
    let id = match home {
        NewKeyHome::File(algorithm) => {
            let key = PrivateKey::generate(algorithm)?;
            let id = store.add(&key, name, None, source)?;
            step(GenerateStep::WritingPublicKey);
            if let Err(e) = write_public(&key) {
                // The key is of no use without its public half.
                let _ = store.remove(&id);
                return Err(e);
            }
            id
        }
        NewKeyHome::Token(uri) => {
            let key = pkcs11::generate(uri, source)?;
            step(GenerateStep::WritingPublicKey);
            write_public(&key)?;
            step(GenerateStep::Registering);
            match store.add_token(&key, uri, name) {
                Ok(id) => id,
                Err(e) => {
                    let _ = std::fs::remove_file(&public_key_file);
                    return Err(e);
                }
            }
        }
    };
    Ok(GeneratedKey { id, public_key_file })
}

/// Loads the private key file `file` into the store as the key of `name` (re-encrypted
/// with the passphrase `source` gives for it), as `docker trust key load` does; returns
/// its ID.
///
/// Refused, with nothing written: a file others may read or write, a file over 1 MiB, a
/// public key file, a file that is not a key or that the passphrase does not decrypt,
/// and a key already stored under another role (docker would silently change that
/// key's role). These are [`Error::Key`] with docker's whole message; a file that
/// cannot be read is [`Error::Io`] naming it.
pub fn load_key_file(store: &KeyStore, source: &dyn PassphraseSource, name: &str, file: &Path) -> Result<String> {
    let shown = file.display();
    check_private(file)?;
    let bytes = read_key_file(file).map_err(|e| match e {
        Error::Key(_) => Error::Key(format!("error importing key from {shown}: not a key file (larger than 1 MiB)")),
        e => e,
    })?;
    let importing = |e: Error| Error::Key(format!("error importing key from {shown}: {e}"));
    if is_public_key_file(&bytes) {
        return Err(Error::Key(format!(
            "error importing key from {shown}: provided file {shown} is not a supported private key - to add a signer's public key use trust signer add"
        )));
    }
    let parsed = KeyFile::parse(&bytes).map_err(importing)?;
    let key = parsed.unlock("encrypted", "", source).map_err(|e| {
        Error::Key(format!("error importing key from {shown}: cannot load key from provided file {shown}: {e}"))
    })?;
    let id = canonical_key_id(&key.public_key()).map_err(|e| importing(e.into()))?;
    if let Some(existing) = store.list()?.into_iter().find(|k| k.id == id && k.role != name) {
        return Err(Error::Key(format!(
            "error importing key from {shown}: key {id} is already stored with role {:?} ({})",
            existing.role,
            existing.path.display()
        )));
    }
    store.add(&key, name, None, source).map_err(importing)
}

/// Records the key already on the token `uri` names (its private key object and public
/// key object) as the key of `name`; returns its ID. `source` gives the token's PIN. A
/// key the store already holds in a file is refused ([`Error::Key`]).
pub fn register_token_key(
    store: &KeyStore,
    source: &dyn PassphraseSource,
    name: &str,
    uri: &Pkcs11Uri,
) -> Result<String> {
    let key = pkcs11::open(uri, source)?;
    let id = canonical_key_id(&key.public_key())?;
    if let Some(existing) = store.list()?.into_iter().find(|k| k.id == id) {
        return Err(Error::Key(format!("key {id} is already stored in a file ({})", existing.path.display())));
    }
    store.add_token(&key, uri, name)
}

/// Refuses key files that others can read or write, as docker does ([`Error::Key`]); a
/// file whose mode cannot be read is [`Error::Io`].
#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        let shown = path.display();
        return Err(Error::Key(format!(
            "refusing to load key from {shown}: private key file {shown} must not be readable or writable by others (chmod 600 {shown})"
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

/// Where [`generate_key`] writes the public key of `name`: `dir/NAME.pub`, cleaned as
/// Go's `filepath.Join` cleans it.
pub fn public_key_file(dir: &Path, name: &str) -> PathBuf {
    clean_join(dir, &format!("{name}.pub"))
}

/// `dir/file` cleaned as Go's `filepath.Join` does (`./x` → `x`, `a//b/../c` → `a/c`),
/// so paths print as docker prints them.
fn clean_join(dir: &Path, file: &str) -> PathBuf {
    let mut parts: Vec<Component<'_>> = Vec::new();
    for c in dir.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir) => {}
                _ => parts.push(c),
            },
            other => parts.push(other),
        }
    }
    let mut out: PathBuf = parts.iter().collect();
    out.push(file);
    out
}

#[cfg(test)]
mod tests;
