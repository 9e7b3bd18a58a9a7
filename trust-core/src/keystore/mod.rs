//! Private keys on disk, as notary and docker keep them, and their passphrases.
//!
//! - [`KeyStore`] is `<trust dir>/private/`: list keys by role and GUN without
//!   decrypting them, get a key by ID, add a key (atomically, mode 0600).
//! - [`KeyFile`], [`encode_private_key`], [`encode_public_key`]: the file formats.
//!   Notary's encrypted PKCS#8 (PBES2, PBKDF2-HMAC-SHA1, 2048 iterations, AES-256-CBC,
//!   with its own PKCS#8 dialect inside) is read and written byte-compatibly; standard
//!   PKCS#8, encrypted or not, and the legacy `EC`/`RSA`/`ED25519 PRIVATE KEY` forms
//!   (optionally with OpenSSL's `DEK-Info` encryption) are read.
//! - [`KeyProtection`]: how a key file is encrypted (PBKDF2 parameters, legacy PEM
//!   encryption, none), read without a passphrase ([`KeyFile::protection`]).
//! - [`passphrase`]: where passphrases come from ([`DockerPassphrases`]: the OS keyring,
//!   docker's and notary's environment variables, a terminal prompt).
//! - [`keyring`]: the OS keyring and the setting that enables it.
//! - [`KeyStore::change_passphrase`], [`KeyStore::delete`], [`KeyStore::export`]:
//!   notary's `key passwd|remove|export`; [`NewPassphrase`]: where a new passphrase comes from.
//!
//! - [`pkcs11`]: keys on PKCS#11 tokens, named by RFC 7512 URIs; the trust directory
//!   records only where they are ([`KeyStore::add_token`], [`KeyStore::tokens`]).
//!
//! Private key material lives in [`zeroize::Zeroizing`] buffers and never appears in
//! `Debug` output, errors or logs.
//!
//! ```
//! use trust_core::crypto::signer::{KeyAlgorithm, PrivateKey};
//! use trust_core::keystore::{ConstantPassphrase, KeyStore};
//!
//! let dir = tempfile::tempdir()?;
//! let store = KeyStore::open(dir.path())?;
//! let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
//! let id = store.add(&key, "alice", None, &ConstantPassphrase::new("a long passphrase"))?;
//! assert_eq!(store.find("alice")?[0].id, id);
//! let (again, _) = store.get(&id, &ConstantPassphrase::new("a long passphrase"))?;
//! assert_eq!(again.public_key(), key.public_key());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod encryption;
mod inspect;
mod keyfile;
pub mod keyring;
mod manage;
mod new_passphrase;
pub mod passphrase;
mod pem;
pub mod pkcs11;
mod pkcs8;
mod server_passphrase;
mod store;

pub use encryption::KeyEncryption;
pub use inspect::{KeyProtection, Prf};
pub use keyfile::{KeyFile, encode_private_key, encode_private_key_with, encode_public_key, is_public_key_file};
pub use keyring::{MemoryKeyring, OsKeyring, SecretStore, keyring_enabled};
pub use manage::RemovableKey;
pub use new_passphrase::{NEW_PASSPHRASE_VAR, NewPassphrase};
pub use passphrase::{
    ConstantPassphrase, DockerPassphrases, MIN_PASSPHRASE_LEN, PASSPHRASE_VARS, PassphraseSource, Prompter,
    TerminalPrompter,
};
pub use server_passphrase::{SERVER_PASSPHRASE_PROMPT, SERVER_PASSPHRASE_VARS, ServerKeys, ask_server_passphrase};
pub use store::{KeyStore, StoredKey, read_key_file};
/// The buffer passphrases and key material are returned in (re-exported so that
/// implementations of [`PassphraseSource`] and [`Prompter`] can name it).
pub use zeroize::Zeroizing;

/// True if `name` is a valid signer key name for `trust key generate`/`load`, as docker
/// requires: `^[a-z0-9][a-z0-9_-]*$`.
pub fn is_valid_key_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_names() {
        for ok in ["alice", "a", "0", "ci-bot_2"] {
            assert!(super::is_valid_key_name(ok), "{ok}");
        }
        for bad in ["", "-a", "_a", "Alice", "a b", "a/b", "a.b", "ä"] {
            assert!(!super::is_valid_key_name(bad), "{bad}");
        }
    }
}
