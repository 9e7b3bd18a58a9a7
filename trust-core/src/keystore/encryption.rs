//! Passphrase encryption of key files: PKCS#5 v2 (PBES2) as notary writes and reads
//! it, and OpenSSL's legacy PEM encryption (`Proc-Type: 4,ENCRYPTED`).
//!
//! Notary writes `EncryptedPrivateKeyInfo { PBES2 { PBKDF2 { salt: 8 random bytes,
//! iterations: 2048 }, aes256-CBC { iv: 16 random bytes } }, ciphertext }` with PKCS#7
//! padding. The PBKDF2 parameters carry no `keyLength` and no `prf`, so the PRF is the
//! default, HMAC-SHA1. Reading also accepts what OpenSSL writes: HMAC-SHA1/256/384/512
//! and AES-128/192/256-CBC.

use std::num::NonZeroU32;

use trust_tuf::crypto::backend::pbkdf2;
use trust_tuf::crypto::backend::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use trust_tuf::crypto::aes_cbc;

use super::inspect::Prf;
use crate::Error;
use trust_tuf::der::{self, INTEGER, NULL, OCTET_STRING, OID, Reader, SEQUENCE, oid};

/// Iterations notary uses.
pub(super) const NOTARY_ITERATIONS: u32 = 2048;
/// Salt length notary uses.
const NOTARY_SALT_LEN: usize = 8;
/// More PBKDF2 iterations than this are refused: the count comes from the file, and
/// each passphrase attempt costs that many HMACs (10 million took about 8 s per
/// attempt). Notary, docker and OpenSSL write 2048; FIPS-mode key files 600,000
/// (about 0.5 s per attempt); the cap leaves room above that.
const MAX_ITERATIONS: u64 = 1_000_000;

/// AES-CBC with a key of 16, 24 or 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Aes {
    Aes128,
    Aes192,
    Aes256,
}

impl Aes {
    /// `AES-128-CBC`, `AES-192-CBC` or `AES-256-CBC`.
    pub(super) fn name(self) -> &'static str {
        match self {
            Aes::Aes128 => "AES-128-CBC",
            Aes::Aes192 => "AES-192-CBC",
            Aes::Aes256 => "AES-256-CBC",
        }
    }

    fn key_len(self) -> usize {
        match self {
            Aes::Aes128 => 16,
            Aes::Aes192 => 24,
            Aes::Aes256 => 32,
        }
    }

    /// Decrypts `data` and removes the PKCS#7 padding; `None` if the IV or the
    /// data's length is wrong or the padding is (a wrong key, in practice).
    fn decrypt(self, key: &[u8], iv: &[u8], data: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let iv: &[u8; aes_cbc::BLOCK_LEN] = iv.try_into().ok()?;
        if key.len() != self.key_len() {
            return None;
        }
        aes_cbc::decrypt(key, iv, data)
    }
}

/// Why an encrypted key could not be decrypted.
pub(super) enum DecryptError {
    /// The file's structure is broken or uses something unsupported; the message says which.
    Invalid(Error),
    /// Decryption produced garbage: a wrong passphrase (or a corrupted ciphertext).
    WrongPassphrase,
}

fn unsupported(what: &str) -> DecryptError {
    DecryptError::Invalid(Error::Key(format!("unsupported key file encryption: {what}")))
}

fn corrupt() -> DecryptError {
    DecryptError::Invalid(Error::Key("the encrypted key is malformed (the file is damaged or truncated)".into()))
}

/// Why a PBES2 structure could not be read.
pub(super) enum Unreadable<'a> {
    /// The DER is damaged or truncated.
    Damaged,
    /// The encryption scheme is not PBES2 (its OID).
    OtherScheme(&'a [u8]),
    /// PBES2 with a key derivation other than PBKDF2 (scrypt, say).
    OtherKdf,
    /// The PBKDF2 salt is not an OCTET STRING (the other-source choice).
    SaltNotOctetString,
    /// PBKDF2 with a PRF other than HMAC-SHA1/256/384/512.
    OtherPrf,
    /// PBES2 with a cipher other than AES-CBC.
    OtherCipher,
}

/// The parameters of an `EncryptedPrivateKeyInfo` as written, before any policy:
/// [`decrypt_pkcs8`] checks them for decryption, `inspect` describes them.
pub(super) struct Pbes2<'a> {
    pub(super) prf: Prf,
    pub(super) salt: &'a [u8],
    pub(super) iterations: u64,
    key_len: Option<u64>,
    pub(super) cipher: Aes,
    iv: Option<&'a [u8]>,
    ciphertext: Option<&'a [u8]>,
    /// Bytes after the outer SEQUENCE.
    trailing: bool,
}

/// Reads the PBES2 parameters of an `EncryptedPrivateKeyInfo` DER.
pub(super) fn read_pbes2(der: &[u8]) -> Result<Pbes2<'_>, Unreadable<'_>> {
    use Unreadable::Damaged;
    let mut outer = Reader::new(der);
    let mut info = Reader::new(outer.read(SEQUENCE).ok_or(Damaged)?);
    let trailing = !outer.is_empty();
    let mut alg = Reader::new(info.read(SEQUENCE).ok_or(Damaged)?);
    let ciphertext = info.read(OCTET_STRING);
    let scheme_oid = alg.read(OID).ok_or(Damaged)?;
    if scheme_oid != oid::PBES2 {
        return Err(Unreadable::OtherScheme(scheme_oid));
    }
    let mut params = Reader::new(alg.read(SEQUENCE).ok_or(Damaged)?);
    let mut kdf = Reader::new(params.read(SEQUENCE).ok_or(Damaged)?);
    let mut scheme = Reader::new(params.read(SEQUENCE).ok_or(Damaged)?);
    if kdf.read(OID).ok_or(Damaged)? != oid::PBKDF2 {
        return Err(Unreadable::OtherKdf);
    }
    let mut kdf_params = Reader::new(kdf.read(SEQUENCE).ok_or(Damaged)?);
    let salt = kdf_params.read(OCTET_STRING).ok_or(Unreadable::SaltNotOctetString)?;
    let iterations = kdf_params.read_small_uint().ok_or(Damaged)?;
    let key_len = if kdf_params.peek_tag() == Some(INTEGER) { kdf_params.read_small_uint() } else { None };
    let prf = match kdf_params.read_optional(SEQUENCE) {
        None => Prf::HmacSha1,
        Some(prf) => {
            let mut prf = Reader::new(prf);
            let prf_oid = prf.read(OID).ok_or(Damaged)?;
            if !(prf.is_empty() || prf.rest() == [NULL, 0]) {
                return Err(Damaged);
            }
            match prf_oid {
                oid::HMAC_SHA1 => Prf::HmacSha1,
                oid::HMAC_SHA256 => Prf::HmacSha256,
                oid::HMAC_SHA384 => Prf::HmacSha384,
                oid::HMAC_SHA512 => Prf::HmacSha512,
                _ => return Err(Unreadable::OtherPrf),
            }
        }
    };
    let cipher = match scheme.read(OID).ok_or(Damaged)? {
        oid::AES128_CBC => Aes::Aes128,
        oid::AES192_CBC => Aes::Aes192,
        oid::AES256_CBC => Aes::Aes256,
        _ => return Err(Unreadable::OtherCipher),
    };
    let iv = scheme.read(OCTET_STRING);
    Ok(Pbes2 { prf, salt, iterations, key_len, cipher, iv, ciphertext, trailing })
}

/// ring's PBKDF2 for `prf`.
fn pbkdf2_algorithm(prf: Prf) -> pbkdf2::Algorithm {
    match prf {
        Prf::HmacSha1 => pbkdf2::PBKDF2_HMAC_SHA1,
        Prf::HmacSha256 => pbkdf2::PBKDF2_HMAC_SHA256,
        Prf::HmacSha384 => pbkdf2::PBKDF2_HMAC_SHA384,
        Prf::HmacSha512 => pbkdf2::PBKDF2_HMAC_SHA512,
    }
}

/// Decrypts an `EncryptedPrivateKeyInfo` DER to the PrivateKeyInfo DER inside.
pub(super) fn decrypt_pkcs8(der: &[u8], passphrase: &str) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    let p = read_pbes2(der).map_err(|e| match e {
        Unreadable::Damaged => corrupt(),
        Unreadable::OtherScheme(_) => {
            unsupported("only PKCS#5 v2 (PBES2) is supported; convert with `openssl pkcs8 -topk8 -v2 aes-256-cbc`")
        }
        Unreadable::OtherKdf => unsupported("only PBKDF2 key derivation is supported (not scrypt)"),
        Unreadable::SaltNotOctetString => unsupported("PBKDF2 salt must be an OCTET STRING"),
        Unreadable::OtherPrf => unsupported("PBKDF2 with a PRF other than HMAC-SHA1/256/384/512"),
        Unreadable::OtherCipher => unsupported("only AES-CBC encryption is supported"),
    })?;
    let ciphertext = p.ciphertext.filter(|_| !p.trailing).ok_or_else(corrupt)?;
    if p.iterations > MAX_ITERATIONS {
        return Err(unsupported(&format!(
            "{} PBKDF2 iterations is more than the {MAX_ITERATIONS} allowed; re-encrypt the key with \
             `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 600000`",
            p.iterations
        )));
    }
    let iterations = u32::try_from(p.iterations).ok().and_then(NonZeroU32::new).ok_or_else(corrupt)?;
    if p.key_len.is_some_and(|n| n != p.cipher.key_len() as u64) {
        return Err(corrupt());
    }
    let iv = p.iv.filter(|iv| iv.len() == 16).ok_or_else(corrupt)?;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return Err(corrupt());
    }
    let mut key = Zeroizing::new(vec![0u8; p.cipher.key_len()]);
    pbkdf2::derive(pbkdf2_algorithm(p.prf), iterations, p.salt, passphrase.as_bytes(), &mut key);
    p.cipher.decrypt(&key, iv, ciphertext).ok_or(DecryptError::WrongPassphrase)
}

/// How a new key file is encrypted. Both are PBES2 with AES-256-CBC; they differ in
/// the key derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyEncryption {
    /// Notary's and docker's parameters: PBKDF2-HMAC-SHA1, 2048 iterations, an 8-byte
    /// salt. docker and notary read these; the salt is below SP 800-132's 128 bits.
    #[default]
    Notary,
    /// SP 800-132 conforming parameters for FIPS mode: PBKDF2-HMAC-SHA256, 600,000
    /// iterations, a 16-byte salt. docker and notary cannot read these files.
    Fips,
}

impl KeyEncryption {
    /// FIPS-mode key files: PBKDF2 iterations.
    pub const FIPS_ITERATIONS: u32 = 600_000;
    /// FIPS-mode key files: salt length in bytes.
    pub const FIPS_SALT_LEN: usize = 16;

    /// The scheme new key files get in FIPS mode (`fips`) or not.
    pub fn for_mode(fips: bool) -> Self {
        if fips { KeyEncryption::Fips } else { KeyEncryption::Notary }
    }

    fn parameters(self) -> (pbkdf2::Algorithm, u32, usize, Option<&'static [u8]>) {
        match self {
            KeyEncryption::Notary => (pbkdf2::PBKDF2_HMAC_SHA1, NOTARY_ITERATIONS, NOTARY_SALT_LEN, None),
            KeyEncryption::Fips => {
                (pbkdf2::PBKDF2_HMAC_SHA256, Self::FIPS_ITERATIONS, Self::FIPS_SALT_LEN, Some(oid::HMAC_SHA256))
            }
        }
    }
}

/// Encrypts a PrivateKeyInfo DER with `scheme` (notary's parameters are described in
/// the module documentation) and returns the `EncryptedPrivateKeyInfo` DER.
pub(super) fn encrypt_pkcs8(plain: &[u8], passphrase: &str, scheme: KeyEncryption) -> Result<Vec<u8>, Error> {
    let (prf, iterations, salt_len, prf_oid) = scheme.parameters();
    let rng = SystemRandom::new();
    let mut salt = [0u8; KeyEncryption::FIPS_SALT_LEN];
    let salt = &mut salt[..salt_len];
    let mut iv = [0u8; 16];
    rng.fill(salt)
        .and_then(|()| rng.fill(&mut iv))
        .map_err(|_| Error::Key("no randomness for key encryption".into()))?;
    let rounds = NonZeroU32::new(iterations).ok_or_else(|| Error::Key("iterations".into()))?;
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::derive(prf, rounds, salt, passphrase.as_bytes(), key.as_mut());

    let ciphertext =
        aes_cbc::encrypt(key.as_ref(), &iv, plain).ok_or_else(|| Error::Key("key encryption failed".into()))?;

    let salt_tlv = der::tlv(OCTET_STRING, salt);
    let iterations_tlv = der::tlv(INTEGER, &der::uint_contents(iterations));
    let kdf_params = match prf_oid {
        None => der::sequence_of(SEQUENCE, &[&salt_tlv, &iterations_tlv]),
        Some(prf_oid) => {
            let prf = der::sequence_of(SEQUENCE, &[&der::tlv(OID, prf_oid), &der::tlv(NULL, &[])]);
            der::sequence_of(SEQUENCE, &[&salt_tlv, &iterations_tlv, &prf])
        }
    };
    let kdf = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::PBKDF2), &kdf_params]);
    let scheme = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::AES256_CBC), &der::tlv(OCTET_STRING, &iv)]);
    let params = der::sequence_of(SEQUENCE, &[&kdf, &scheme]);
    let alg = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::PBES2), &params]);
    Ok(der::sequence_of(SEQUENCE, &[&alg, &der::tlv(OCTET_STRING, &ciphertext)]).to_vec())
}

/// Decrypts the body of a legacy encrypted PEM block (`Proc-Type: 4,ENCRYPTED`,
/// `DEK-Info: <cipher>,<hex iv>`): OpenSSL's EVP_BytesToKey with MD5 and one round,
/// salted with the first 8 bytes of the IV.
pub(super) fn decrypt_legacy_pem(
    dek_info: &str,
    data: &[u8],
    passphrase: &str,
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    let (name, iv_hex) = dek_info.split_once(',').ok_or_else(corrupt)?;
    let cipher = match name.trim() {
        "AES-128-CBC" => Aes::Aes128,
        "AES-192-CBC" => Aes::Aes192,
        "AES-256-CBC" => Aes::Aes256,
        other => {
            return Err(unsupported(&format!(
                "legacy PEM cipher {other} (only AES-CBC); convert with `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
            )));
        }
    };
    let iv = hex::decode(iv_hex.trim()).map_err(|_| corrupt())?;
    if iv.len() != 16 {
        return Err(corrupt());
    }
    if data.is_empty() || !data.len().is_multiple_of(16) {
        return Err(corrupt());
    }
    let key = evp_bytes_to_key(passphrase.as_bytes(), &iv[..8], cipher.key_len())?;
    cipher.decrypt(&key, &iv, data).ok_or(DecryptError::WrongPassphrase)
}

/// What the `fips` build says about a legacy encrypted PEM key file.
#[cfg(feature = "fips")]
pub(super) const LEGACY_PEM_IN_FIPS_BUILD: &str = "legacy PEM encryption (`Proc-Type: 4,ENCRYPTED`) derives its key with MD5, \
     which the FIPS build does not have; rewrite the key with `trust key migrate` from a default build, or with \
     `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 600000`";

/// OpenSSL's `EVP_BytesToKey(cipher, md5, salt, pass, count = 1)` key bytes. The
/// `fips` build has no MD5 and refuses (see [`LEGACY_PEM_IN_FIPS_BUILD`]).
#[cfg(feature = "fips")]
fn evp_bytes_to_key(_pass: &[u8], _salt: &[u8], _len: usize) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    Err(unsupported(LEGACY_PEM_IN_FIPS_BUILD))
}

/// OpenSSL's `EVP_BytesToKey(cipher, md5, salt, pass, count = 1)` key bytes.
#[cfg(not(feature = "fips"))]
fn evp_bytes_to_key(pass: &[u8], salt: &[u8], len: usize) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    use md5::{Digest, Md5};
    let mut out = Zeroizing::new(Vec::with_capacity(len + 16));
    let mut prev = Zeroizing::new([0u8; 16]);
    let mut first = true;
    while out.len() < len {
        let mut h = Md5::new();
        if !first {
            h.update(prev.as_ref());
        }
        h.update(pass);
        h.update(salt);
        prev.copy_from_slice(&h.finalize());
        out.extend_from_slice(prev.as_ref());
        first = false;
    }
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_passphrase() {
        for len in [0usize, 1, 15, 16, 17, 138] {
            let plain = vec![0x42u8; len];
            let der = encrypt_pkcs8(&plain, "correct horse", KeyEncryption::Notary).unwrap();
            assert_eq!(*decrypt_pkcs8(&der, "correct horse").unwrap_or_else(|_| panic!("decrypt")), plain);
            // A wrong key gives bad padding almost always; on the rare good padding the
            // plaintext differs.
            match decrypt_pkcs8(&der, "wrong horse") {
                Err(DecryptError::WrongPassphrase) => {}
                Ok(other) => assert_ne!(*other, plain),
                Err(DecryptError::Invalid(e)) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn notary_parameters() {
        let der = encrypt_pkcs8(b"x", "pass", KeyEncryption::Notary).unwrap();
        let p = read_pbes2(&der).unwrap_or_else(|_| panic!("parse"));
        assert_eq!((p.salt.len(), p.iterations, p.cipher, p.iv.map(<[u8]>::len)), (8, 2048, Aes::Aes256, Some(16)));
        assert_eq!(p.prf, Prf::HmacSha1);
        // No keyLength, no PRF: the PBKDF2-params SEQUENCE is salt + iterations only.
        let needle = [0x30, 0x0e, 0x04, 0x08];
        assert!(der.windows(4).any(|w| w == needle), "{}", hex::encode(&der));
    }

    #[test]
    fn fips_parameters_follow_sp_800_132_and_read_back() {
        let der = encrypt_pkcs8(b"some key bytes", "pass", KeyEncryption::Fips).unwrap();
        let p = read_pbes2(&der).unwrap_or_else(|_| panic!("parse"));
        assert_eq!((p.salt.len(), p.iterations, p.cipher), (16, 600_000, Aes::Aes256));
        assert_eq!(p.prf, Prf::HmacSha256);
        assert_eq!(*decrypt_pkcs8(&der, "pass").unwrap_or_else(|_| panic!("decrypt")), b"some key bytes".to_vec());
    }

    /// OpenSSL reads what FIPS mode writes (`openssl pkcs8` with the passphrase).
    #[test]
    fn openssl_reads_fips_key_files() {
        if std::process::Command::new("openssl").arg("version").output().is_err() {
            return;
        }
        let key = trust_tuf::crypto::signer::PrivateKey::generate(trust_tuf::crypto::signer::KeyAlgorithm::EcdsaP256)
            .unwrap();
        let inner = super::super::pkcs8::to_notary(&key).unwrap();
        let der = encrypt_pkcs8(&inner, "pass phrase", KeyEncryption::Fips).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.der");
        std::fs::write(&path, &der).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["pkcs8", "-inform", "DER", "-passin", "pass:pass phrase", "-in"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("BEGIN PRIVATE KEY"));
    }

    #[cfg(not(feature = "fips"))]
    #[test]
    fn evp_bytes_to_key_vector() {
        // openssl enc -aes-256-cbc -P -md md5 -S 0102030405060708 -pass pass:password
        let key = evp_bytes_to_key(b"password", &[1, 2, 3, 4, 5, 6, 7, 8], 32).unwrap_or_else(|_| panic!("md5"));
        assert_eq!(hex::encode(&*key), "e7b0971e52ca5cc8d0539fb3412f6316f7ba2e6ee293d9f3457b99436b51ce02");
        let again = evp_bytes_to_key(b"password", &[1, 2, 3, 4, 5, 6, 7, 8], 16).unwrap_or_else(|_| panic!("md5"));
        assert_eq!(&key[..16], &again[..]);
    }

    #[cfg(feature = "fips")]
    #[test]
    fn the_fips_build_refuses_legacy_pem_with_what_to_do() {
        let Err(DecryptError::Invalid(err)) =
            decrypt_legacy_pem("AES-256-CBC,00112233445566778899AABBCCDDEEFF", &[0u8; 32], "password")
        else {
            panic!("a legacy PEM key was decrypted without MD5");
        };
        let msg = err.to_string();
        assert!(msg.contains("MD5") && msg.contains("trust key migrate") && msg.contains("openssl pkcs8"), "{msg}");
    }

    /// An `EncryptedPrivateKeyInfo` as notary writes it, but with `iterations`.
    fn with_iterations(iterations: u32) -> Vec<u8> {
        let kdf_params = der::sequence_of(
            SEQUENCE,
            &[&der::tlv(OCTET_STRING, &[1; 8]), &der::tlv(INTEGER, &der::uint_contents(iterations))],
        );
        let kdf = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::PBKDF2), &kdf_params]);
        let scheme = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::AES256_CBC), &der::tlv(OCTET_STRING, &[2; 16])]);
        let params = der::sequence_of(SEQUENCE, &[&kdf, &scheme]);
        let alg = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::PBES2), &params]);
        der::sequence_of(SEQUENCE, &[&alg, &der::tlv(OCTET_STRING, &[3; 32])]).to_vec()
    }

    /// The iteration count comes from the file: a huge one is refused before any
    /// PBKDF2 work, with a message that says what to do. (The old cap, 10 million,
    /// let one key file cost seconds per passphrase attempt, over 20 s per input in
    /// the fuzz build.)
    #[test]
    fn absurd_iteration_counts_are_refused() {
        for iterations in [MAX_ITERATIONS as u32 + 1, 10_000_000, 0x7fff_ffff] {
            match decrypt_pkcs8(&with_iterations(iterations), "pass") {
                Err(DecryptError::Invalid(e)) => {
                    let msg = e.to_string();
                    assert!(msg.contains(&format!("{iterations} PBKDF2 iterations is more than the 1000000 allowed")));
                    assert!(msg.contains("openssl pkcs8 -topk8 -v2 aes-256-cbc"), "{msg}");
                }
                _ => panic!("{iterations} iterations were not refused"),
            }
        }
        // Notary's count is parsed (the ciphertext is garbage, so the passphrase is "wrong").
        assert!(matches!(
            decrypt_pkcs8(&with_iterations(NOTARY_ITERATIONS), "pass"),
            Err(DecryptError::WrongPassphrase)
        ));
        assert!(matches!(decrypt_pkcs8(&with_iterations(0), "pass"), Err(DecryptError::Invalid(_))));
    }

    #[test]
    fn truncated_and_garbage() {
        let der = encrypt_pkcs8(b"some key bytes", "pass", KeyEncryption::Notary).unwrap();
        assert!(matches!(decrypt_pkcs8(&der[..der.len() - 5], "pass"), Err(DecryptError::Invalid(_))));
        assert!(matches!(decrypt_pkcs8(b"\x30\x00", "pass"), Err(DecryptError::Invalid(_))));
    }
}
