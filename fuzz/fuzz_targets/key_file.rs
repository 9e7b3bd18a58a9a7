//! Private key files (`trust_core::keystore::KeyFile`): PEM blocks and headers,
//! PBES2 / PBKDF2 / AES-CBC encrypted PKCS#8, notary's PKCS#8 dialect, standard
//! PKCS#8, SEC1 and PKCS#1 and notary's Ed25519 blob, OpenSSL's legacy `DEK-Info`
//! encryption, all decrypted with the fixtures' passphrase.
//!
//! No panic on any input, no input that takes seconds (PBKDF2 iterations come from
//! the file and are capped), and every key that is read survives a round trip:
//! written as notary writes it and read back, it is the same key.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trust_core::keystore::{KeyFile, encode_private_key, is_public_key_file};

/// `fixtures/README.md`: every fixture key is encrypted with this passphrase.
const PASSPHRASE: &str = "trust-test-passphrase";

fuzz_target!(|data: &[u8]| {
    let _ = is_public_key_file(data);
    let Ok(file) = KeyFile::parse(data) else {
        return;
    };
    let _ = (file.role(), file.gun(), file.label(), file.is_encrypted(), format!("{file:?}"));
    let Ok(key) = file.decrypt(PASSPHRASE) else {
        return;
    };
    // Round trip through notary's format, encrypted and not.
    for passphrase in [PASSPHRASE, ""] {
        let role = file.role().filter(|r| r.chars().all(|c| c.is_ascii_graphic())).unwrap_or("targets");
        let text = encode_private_key(&key, role, None, passphrase).expect("a key that was read cannot be written");
        let again = KeyFile::parse(text.as_bytes()).expect("cannot parse what we wrote");
        let again = again.decrypt(passphrase).expect("cannot decrypt what we wrote");
        assert_eq!(again.public_key(), key.public_key(), "the key changed in a round trip");
        assert_eq!(again.pkcs8_der().ok(), key.pkcs8_der().ok(), "the key's PKCS#8 changed in a round trip");
    }
});
