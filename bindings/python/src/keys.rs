//! `Client.key_generate`, `key_load` and `keys`: the trust directory's private keys,
//! through trust-core's keystore, with passphrases given as arguments (never logged,
//! never in an exception's message).

use trust_core::crypto::signer::{KeyAlgorithm, PrivateKey};
use trust_core::keystore::{
    ConstantPassphrase, KeyEncryption, KeyFile, KeyStore, MIN_PASSPHRASE_LEN, encode_public_key, is_public_key_file,
    is_valid_key_name,
};
use trust_core::settings::Settings;
use trust_core::{Error, Result};

/// The trust directory's key store, writing key files as the settings' FIPS mode says.
fn store(settings: &Settings) -> Result<KeyStore> {
    Ok(KeyStore::open(&settings.trust_dir())?.with_encryption(KeyEncryption::for_mode(settings.fips.enabled)))
}

fn check_name(name: &str) -> Result<()> {
    if is_valid_key_name(name) {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "key name {name:?} must start with a lowercase letter or digit and hold only lowercase letters, digits, \"-\" and \"_\""
    )))
}

/// A passphrase a new key file is encrypted with: at least [`MIN_PASSPHRASE_LEN`] characters.
fn new_passphrase(passphrase: &str) -> Result<ConstantPassphrase> {
    if passphrase.chars().count() < MIN_PASSPHRASE_LEN {
        return Err(Error::Key(format!("the passphrase is too short: use at least {MIN_PASSPHRASE_LEN} characters")));
    }
    Ok(ConstantPassphrase::new(passphrase))
}

/// Generates a key named `name` (ECDSA P-256, or Ed25519 when `ed25519`), stores it
/// encrypted with `passphrase`, and returns its ID and public key PEM.
pub fn generate(settings: &Settings, name: &str, passphrase: &str, ed25519: bool) -> Result<(String, String)> {
    check_name(name)?;
    let source = new_passphrase(passphrase)?;
    if ed25519 && settings.fips.enabled {
        return Err(Error::InvalidInput(format!(
            "Ed25519 keys are not accepted in FIPS mode ({}): use algorithm=\"ecdsa\"",
            settings.fips
        )));
    }
    let algorithm = if ed25519 { KeyAlgorithm::Ed25519 } else { KeyAlgorithm::EcdsaP256 };
    let key = PrivateKey::generate(algorithm).map_err(Error::from)?;
    let public = encode_public_key(&key, name)?;
    let id = store(settings)?.add(&key, name, None, &source)?;
    Ok((id, public))
}

/// Imports the private key PEM `pem` (encrypted with `passphrase`, or not encrypted)
/// as `name`, stored encrypted with `new_passphrase` (default: `passphrase`), and
/// returns its ID.
pub fn load(settings: &Settings, pem: &[u8], name: &str, passphrase: &str, new: Option<&str>) -> Result<String> {
    check_name(name)?;
    let source = new_passphrase(new.unwrap_or(passphrase))?;
    if is_public_key_file(pem) {
        return Err(Error::Key(
            "this is a public key, not a private key: to add a signer's public key use signer_add".into(),
        ));
    }
    let key = KeyFile::parse(pem)?.unlock("encrypted", "", &ConstantPassphrase::new(passphrase))?;
    store(settings)?.add(&key, name, None, &source)
}

/// `(id, role, gun)` of every key in the trust directory, sorted by ID.
pub fn list(settings: &Settings) -> Result<Vec<(String, String, Option<String>)>> {
    Ok(store(settings)?.list()?.into_iter().map(|k| (k.id, k.role, k.gun)).collect())
}
