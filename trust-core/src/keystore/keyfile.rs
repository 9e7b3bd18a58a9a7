//! Private key files: reading every form notary and docker read, writing the form they
//! write.
//!
//! Read (the first private key block in the file counts; `EC PARAMETERS` blocks and
//! text around the blocks are skipped):
//!
//! | PEM label | body | encryption |
//! |---|---|---|
//! | `ENCRYPTED PRIVATE KEY` | PKCS#8 in notary's dialect or standard | PBES2, PBKDF2-HMAC-SHA1/256/384/512, AES-128/192/256-CBC |
//! | `PRIVATE KEY` | PKCS#8 in notary's dialect or standard | none |
//! | `EC PRIVATE KEY` | SEC1 | none, or `Proc-Type: 4,ENCRYPTED` + `DEK-Info: AES-*-CBC,<iv>` |
//! | `RSA PRIVATE KEY` | PKCS#1 | same |
//! | `ED25519 PRIVATE KEY` | notary's 96-byte blob | same |
//!
//! Written: `ENCRYPTED PRIVATE KEY` with notary's PBES2 parameters and its PKCS#8
//! dialect, headers `gun` (if any) and `role`; with an empty passphrase, an unencrypted
//! `PRIVATE KEY` block, as notary does.

use zeroize::Zeroizing;

use super::encryption::{self, DecryptError, KeyEncryption};
use super::inspect::{self, KeyProtection};
use super::passphrase::PassphraseSource;
use super::pem::{self, PemError};
use super::pkcs8::{self, Invalid};
use crate::{Error, Result};
use trust_tuf::crypto::signer::PrivateKey;

/// Notary gives up after this many wrong passphrases.
const MAX_ATTEMPTS: u32 = 10;

/// The body of a private key block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    EncryptedPkcs8,
    Pkcs8,
    Sec1,
    Pkcs1,
    Ed25519Blob,
}

/// A private key file, parsed but not decrypted. `Debug` shows the format and headers
/// only.
pub struct KeyFile {
    block: pem::Block,
    body: Body,
}

impl std::fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFile")
            .field("label", &self.block.label)
            .field("role", &self.role())
            .field("gun", &self.gun())
            .field("encrypted", &self.is_encrypted())
            .finish_non_exhaustive()
    }
}

/// Why decoding failed, for the passphrase loop.
enum Failure {
    NeedsPassphrase,
    WrongPassphrase,
    Invalid(Error),
}

impl From<Invalid> for Failure {
    fn from(e: Invalid) -> Self {
        match e {
            Invalid::Structure => Failure::Invalid(Error::Key("not a valid private key".into())),
            Invalid::Key(e) => Failure::Invalid(e),
        }
    }
}

impl From<DecryptError> for Failure {
    fn from(e: DecryptError) -> Self {
        match e {
            DecryptError::Invalid(e) => Failure::Invalid(e),
            DecryptError::WrongPassphrase => Failure::WrongPassphrase,
        }
    }
}

/// True if `bytes` hold PEM public keys or certificates and no private key: what
/// `docker trust key load` calls "not a supported private key" and sends to `signer add`.
pub fn is_public_key_file(bytes: &[u8]) -> bool {
    match pem::parse_all(bytes) {
        Ok(blocks) => {
            blocks.iter().any(|b| matches!(b.label.as_str(), "PUBLIC KEY" | "CERTIFICATE"))
                && !blocks.iter().any(|b| b.label.ends_with("PRIVATE KEY"))
        }
        Err(_) => false,
    }
}

impl KeyFile {
    /// Parses the first private key block of `bytes`. Errors are [`Error::Key`].
    pub fn parse(bytes: &[u8]) -> Result<KeyFile> {
        let blocks = pem::parse_all(bytes).map_err(|e| match e {
            PemError::NoBlock => Error::Key("not a PEM private key file".into()),
            PemError::Unterminated(label) => Error::Key(format!("the {label} block has no END line (truncated file)")),
            PemError::BadBase64(label) => Error::Key(format!("the {label} block is not valid base64 (damaged file)")),
        })?;
        let mut labels = Vec::new();
        for block in blocks {
            let body = match block.label.as_str() {
                "ENCRYPTED PRIVATE KEY" => Body::EncryptedPkcs8,
                "PRIVATE KEY" => Body::Pkcs8,
                "EC PRIVATE KEY" => Body::Sec1,
                "RSA PRIVATE KEY" => Body::Pkcs1,
                "ED25519 PRIVATE KEY" => Body::Ed25519Blob,
                _ => {
                    labels.push(block.label.clone());
                    continue;
                }
            };
            return Ok(KeyFile { block, body });
        }
        if labels.iter().any(|l| l == "PUBLIC KEY" || l == "CERTIFICATE") {
            return Err(Error::Key("the file holds a public key or certificate, not a private key".into()));
        }
        Err(Error::Key(format!("unsupported key type {:?}", labels.first().map(String::as_str).unwrap_or_default())))
    }

    /// The PEM block the key was read from.
    pub(super) fn block(&self) -> &pem::Block {
        &self.block
    }

    /// The `role` header, if present and not empty.
    pub fn role(&self) -> Option<&str> {
        self.block.header("role").filter(|r| !r.is_empty())
    }

    /// The `gun` header, if present and not empty.
    pub fn gun(&self) -> Option<&str> {
        self.block.header("gun").filter(|g| !g.is_empty())
    }

    /// The PEM label (`ENCRYPTED PRIVATE KEY`, `EC PRIVATE KEY`, ...).
    pub fn label(&self) -> &str {
        &self.block.label
    }

    /// True if a passphrase is needed to read the key.
    pub fn is_encrypted(&self) -> bool {
        self.body == Body::EncryptedPkcs8 || self.legacy_encryption().is_some()
    }

    /// How the key is protected (PBES2 parameters, legacy PEM encryption, or none),
    /// read without decrypting it.
    pub fn protection(&self) -> KeyProtection {
        match self.body {
            Body::EncryptedPkcs8 => inspect::pkcs8_protection(&self.block.contents),
            Body::Pkcs8 => KeyProtection::Unencrypted,
            Body::Sec1 | Body::Pkcs1 | Body::Ed25519Blob => {
                inspect::legacy_protection(self.block.header("Proc-Type"), self.block.header("DEK-Info"))
            }
        }
    }

    /// `DEK-Info` of a legacy encrypted block.
    fn legacy_encryption(&self) -> Option<&str> {
        let legacy = matches!(self.body, Body::Sec1 | Body::Pkcs1 | Body::Ed25519Blob);
        let encrypted = self.block.header("Proc-Type").is_some_and(|v| v.contains("ENCRYPTED"));
        if legacy && encrypted { Some(self.block.header("DEK-Info").unwrap_or_default()) } else { None }
    }

    fn try_decode(&self, passphrase: Option<&str>) -> Result<PrivateKey, Failure> {
        let contents = &self.block.contents;
        let (standard, decrypted) = match self.body {
            Body::EncryptedPkcs8 => {
                let plain = encryption::decrypt_pkcs8(contents, passphrase.ok_or(Failure::NeedsPassphrase)?)?;
                (pkcs8::to_standard(&plain), true)
            }
            Body::Pkcs8 => (pkcs8::to_standard(contents), false),
            legacy => {
                let plain = match self.legacy_encryption() {
                    Some(dek) => {
                        let pass = passphrase.ok_or(Failure::NeedsPassphrase)?;
                        Some(encryption::decrypt_legacy_pem(dek, contents, pass)?)
                    }
                    None => None,
                };
                let decrypted = plain.is_some();
                let der: &[u8] = plain.as_deref().map_or(contents, |p| p.as_slice());
                let standard = match legacy {
                    Body::Sec1 => pkcs8::from_sec1(der, None),
                    Body::Pkcs1 => Ok(pkcs8::from_pkcs1(der)),
                    _ => pkcs8::from_ed25519_blob(der),
                };
                (standard, decrypted)
            }
        };
        let standard = match standard {
            Ok(s) => s,
            // Garbage after decryption means the passphrase was wrong.
            Err(Invalid::Structure) if decrypted => return Err(Failure::WrongPassphrase),
            Err(e) => return Err(e.into()),
        };
        PrivateKey::from_pkcs8_der(&standard)
            .map_err(|e| if decrypted { Failure::WrongPassphrase } else { Failure::Invalid(e.into()) })
    }

    /// The key, decrypted with `passphrase` if it is encrypted.
    pub fn decrypt(&self, passphrase: &str) -> Result<PrivateKey> {
        match self.try_decode(Some(passphrase)) {
            Ok(key) => Ok(key),
            Err(Failure::WrongPassphrase) => Err(Error::Key("wrong passphrase, or the key file is damaged".into())),
            Err(Failure::Invalid(e)) => Err(e),
            Err(Failure::NeedsPassphrase) => Err(Error::Key("a passphrase is needed".into())),
        }
    }

    /// The key, asking `source` for passphrases (alias `alias`, ID `key_id`) until one
    /// works or the source gives up. The passphrase that worked is passed to
    /// [`PassphraseSource::remember`].
    pub fn unlock(&self, alias: &str, key_id: &str, source: &dyn PassphraseSource) -> Result<PrivateKey> {
        match self.try_decode(None) {
            Ok(key) => return Ok(key),
            Err(Failure::NeedsPassphrase) => {}
            Err(Failure::Invalid(e)) => return Err(e),
            Err(Failure::WrongPassphrase) => return Err(Error::Key("not a valid private key".into())),
        }
        for attempt in 0..MAX_ATTEMPTS {
            let passphrase = source.get(alias, key_id, false, attempt)?;
            match self.try_decode(Some(&passphrase)) {
                Ok(key) => {
                    source.remember(alias, key_id, &passphrase);
                    return Ok(key);
                }
                Err(Failure::WrongPassphrase) => continue,
                Err(Failure::Invalid(e)) => return Err(e),
                Err(Failure::NeedsPassphrase) => return Err(Error::Key("a passphrase is needed".into())),
            }
        }
        let short: String = key_id.chars().take(7).collect();
        Err(Error::Key(format!("wrong passphrase for the {alias} key {short}: maximum number of attempts exceeded")))
    }
}

/// Checks a `role` or `gun` header value: printable ASCII, no line breaks.
fn check_header(name: &str, value: &str) -> Result<()> {
    if value.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!("{name} {value:?} cannot be written in a key file header")))
    }
}

/// The key file notary writes for `key`: its PKCS#8 dialect, encrypted with
/// `passphrase` (PBES2, PBKDF2-HMAC-SHA1, 2048 iterations, AES-256-CBC), with headers
/// `gun` (when given) and `role`. An empty passphrase writes an unencrypted
/// `PRIVATE KEY` block.
pub fn encode_private_key(
    key: &PrivateKey,
    role: &str,
    gun: Option<&str>,
    passphrase: &str,
) -> Result<Zeroizing<String>> {
    encode_private_key_with(key, role, gun, passphrase, KeyEncryption::Notary)
}

/// [`encode_private_key`] with the encryption `scheme` ([`KeyEncryption::Fips`] in
/// FIPS mode: files docker and notary cannot read).
pub fn encode_private_key_with(
    key: &PrivateKey,
    role: &str,
    gun: Option<&str>,
    passphrase: &str,
    scheme: KeyEncryption,
) -> Result<Zeroizing<String>> {
    check_header("role", role)?;
    let mut headers = Vec::with_capacity(2);
    if !role.is_empty() {
        headers.push(("role", role));
    }
    if let Some(gun) = gun.filter(|g| !g.is_empty()) {
        check_header("gun", gun)?;
        headers.push(("gun", gun));
    }
    let inner = pkcs8::to_notary(key)?;
    if passphrase.is_empty() {
        return Ok(pem::encode("PRIVATE KEY", &headers, &inner));
    }
    let encrypted = encryption::encrypt_pkcs8(&inner, passphrase, scheme)?;
    Ok(pem::encode("ENCRYPTED PRIVATE KEY", &headers, &encrypted))
}

/// The public key file `docker trust key generate` writes: a `PUBLIC KEY` block with
/// header `role: <role>` holding the SubjectPublicKeyInfo (RFC 8410 for Ed25519, which
/// docker and notary cannot add as a signer).
pub fn encode_public_key(key: &PrivateKey, role: &str) -> Result<String> {
    check_header("role", role)?;
    let spki = pkcs8::public_spki(key);
    let headers: Vec<(&str, &str)> = if role.is_empty() { vec![] } else { vec![("role", role)] };
    Ok(pem::encode("PUBLIC KEY", &headers, &spki).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::passphrase::ConstantPassphrase;
    use trust_tuf::crypto::signer::KeyAlgorithm;

    #[test]
    fn round_trip_encrypted_and_plain() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let text = encode_private_key(&key, "targets", Some("example.com/app"), "passphrase!").unwrap();
        assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: example.com/app\nrole: targets\n\n"));
        let file = KeyFile::parse(text.as_bytes()).unwrap();
        assert!(file.is_encrypted());
        assert_eq!((file.role(), file.gun()), (Some("targets"), Some("example.com/app")));
        assert_eq!(file.decrypt("passphrase!").unwrap().public_key(), key.public_key());
        assert!(file.decrypt("wrong").is_err());
        let key2 = file.unlock("targets", "id", &ConstantPassphrase::new("passphrase!")).unwrap();
        assert_eq!(key2.public_key(), key.public_key());
        let err = file.unlock("targets", "0123456789", &ConstantPassphrase::new("nope")).unwrap_err();
        assert_eq!(err.to_string(), "wrong passphrase for the targets key 0123456 (or a damaged key file)");

        let plain = encode_private_key(&key, "alice", None, "").unwrap();
        assert!(plain.starts_with("-----BEGIN PRIVATE KEY-----\nrole: alice\n\n"));
        let file = KeyFile::parse(plain.as_bytes()).unwrap();
        assert!(!file.is_encrypted());
        assert_eq!(
            file.unlock("alice", "", &ConstantPassphrase::new("unused")).unwrap().public_key(),
            key.public_key()
        );
    }

    #[test]
    fn public_key_files() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let text = encode_public_key(&key, "alice").unwrap();
        assert!(text.starts_with("-----BEGIN PUBLIC KEY-----\nrole: alice\n\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"));
        assert!(is_public_key_file(text.as_bytes()));
        let err = KeyFile::parse(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("public key"), "{err}");
        let private = encode_private_key(&key, "alice", None, "").unwrap();
        assert!(!is_public_key_file(private.as_bytes()));
        assert!(encode_public_key(&key, "bad\nrole").is_err());
    }
}
