//! AES-CBC with PKCS#7 padding, the cipher of every key file notary, docker and
//! OpenSSL write: on aws-lc-rs's validated module in the `fips` build, on RustCrypto's
//! `aes` and `cbc` otherwise (ring has no block cipher modes).
//!
//! The key's length picks AES-128, AES-192 or AES-256. Plaintext buffers are zeroized
//! when dropped and sized up front so that padding never reallocates them (a
//! reallocation would leave an unzeroized copy behind).

use zeroize::Zeroizing;

/// The AES block and IV length.
pub const BLOCK_LEN: usize = 16;

/// Decrypts `data` with `key` (16, 24 or 32 bytes) and `iv` and removes the PKCS#7
/// padding. `None` when the key length is not an AES one, `data` is not a non-empty
/// whole number of blocks, or the padding is wrong (a wrong key, in practice).
pub fn decrypt(key: &[u8], iv: &[u8; BLOCK_LEN], data: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if data.is_empty() || !data.len().is_multiple_of(BLOCK_LEN) {
        return None;
    }
    let mut buf = Zeroizing::new(data.to_vec());
    let len = backend::decrypt_in_place(key, iv, &mut buf)?;
    buf.truncate(len);
    Some(buf)
}

/// Pads `plain` with PKCS#7 and encrypts it with `key` (16, 24 or 32 bytes) and `iv`.
/// `None` when the key length is not an AES one.
pub fn encrypt(key: &[u8], iv: &[u8; BLOCK_LEN], plain: &[u8]) -> Option<Vec<u8>> {
    let padded_len = plain.len() + BLOCK_LEN - plain.len() % BLOCK_LEN;
    let mut buf = Zeroizing::new(Vec::with_capacity(padded_len));
    buf.extend_from_slice(plain);
    backend::encrypt_in_place(key, iv, &mut buf)?;
    debug_assert_eq!(buf.len(), padded_len);
    Some(buf.to_vec())
}

#[cfg(feature = "fips")]
mod backend {
    use aws_lc_rs::cipher::{
        AES_128, AES_192, AES_256, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey,
        PaddedBlockEncryptingKey, UnboundCipherKey,
    };
    use aws_lc_rs::iv::FixedLength;

    use super::BLOCK_LEN;

    fn key(bytes: &[u8]) -> Option<UnboundCipherKey> {
        let algorithm = match bytes.len() {
            16 => &AES_128,
            24 => &AES_192,
            32 => &AES_256,
            _ => return None,
        };
        UnboundCipherKey::new(algorithm, bytes).ok()
    }

    /// Decrypts `buf` in place; the length of the plaintext at its start.
    pub(super) fn decrypt_in_place(key_bytes: &[u8], iv: &[u8; BLOCK_LEN], buf: &mut [u8]) -> Option<usize> {
        let key = PaddedBlockDecryptingKey::cbc_pkcs7(key(key_bytes)?).ok()?;
        let context = DecryptionContext::Iv128(FixedLength::from(*iv));
        key.decrypt(buf, context).ok().map(|plain| plain.len())
    }

    /// Pads and encrypts `buf` in place (its capacity already holds the padding).
    pub(super) fn encrypt_in_place(key_bytes: &[u8], iv: &[u8; BLOCK_LEN], buf: &mut Vec<u8>) -> Option<()> {
        let key = PaddedBlockEncryptingKey::cbc_pkcs7(key(key_bytes)?).ok()?;
        let context = EncryptionContext::Iv128(FixedLength::from(*iv));
        key.less_safe_encrypt(buf, context).ok().map(|_| ())
    }
}

#[cfg(not(feature = "fips"))]
mod backend {
    use aes::cipher::block_padding::Pkcs7;
    use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};

    use super::BLOCK_LEN;

    /// Decrypts `buf` in place; the length of the plaintext at its start.
    pub(super) fn decrypt_in_place(key: &[u8], iv: &[u8; BLOCK_LEN], buf: &mut [u8]) -> Option<usize> {
        fn run<C: BlockDecryptMut + KeyIvInit>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize> {
            Some(C::new_from_slices(key, iv).ok()?.decrypt_padded_mut::<Pkcs7>(buf).ok()?.len())
        }
        match key.len() {
            16 => run::<cbc::Decryptor<aes::Aes128>>(key, iv, buf),
            24 => run::<cbc::Decryptor<aes::Aes192>>(key, iv, buf),
            32 => run::<cbc::Decryptor<aes::Aes256>>(key, iv, buf),
            _ => None,
        }
    }

    /// Pads and encrypts `buf` in place (its capacity already holds the padding).
    pub(super) fn encrypt_in_place(key: &[u8], iv: &[u8; BLOCK_LEN], buf: &mut Vec<u8>) -> Option<()> {
        fn run<C: BlockEncryptMut + KeyIvInit>(key: &[u8], iv: &[u8], buf: &mut Vec<u8>) -> Option<()> {
            let len = buf.len();
            buf.resize(len + BLOCK_LEN - len % BLOCK_LEN, 0);
            let written = C::new_from_slices(key, iv).ok()?.encrypt_padded_mut::<Pkcs7>(buf, len).ok()?.len();
            buf.truncate(written);
            Some(())
        }
        match key.len() {
            16 => run::<cbc::Encryptor<aes::Aes128>>(key, iv, buf),
            24 => run::<cbc::Encryptor<aes::Aes192>>(key, iv, buf),
            32 => run::<cbc::Encryptor<aes::Aes256>>(key, iv, buf),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `printf 'trust key file' | openssl enc -aes-256-cbc -K 0707…07 -iv 0909…09 | xxd -p`
    const KEY: [u8; 32] = [7; 32];
    const IV: [u8; 16] = [9; 16];
    const OPENSSL_CIPHERTEXT: &str = "c7edb1167de1a5ae778c4ce5664a9cc3";

    #[test]
    fn known_answer_from_openssl() {
        let cipher = encrypt(&KEY, &IV, b"trust key file").unwrap();
        assert_eq!(hex::encode(&cipher), OPENSSL_CIPHERTEXT);
        assert_eq!(*decrypt(&KEY, &IV, &cipher).unwrap(), b"trust key file");
    }

    #[test]
    fn every_key_size_and_padding_length_round_trips() {
        for key_len in [16usize, 24, 32] {
            let key = vec![3u8; key_len];
            for len in [0usize, 1, 15, 16, 17, 138] {
                let plain = vec![0x42u8; len];
                let cipher = encrypt(&key, &IV, &plain).unwrap();
                assert_eq!(cipher.len(), len + 16 - len % 16, "AES-{} of {len} bytes", key_len * 8);
                assert_eq!(*decrypt(&key, &IV, &cipher).unwrap(), plain);
            }
        }
    }

    #[test]
    fn refuses_bad_keys_and_lengths() {
        assert!(encrypt(&[0u8; 20], &IV, b"x").is_none());
        assert!(decrypt(&[0u8; 20], &IV, &[0u8; 16]).is_none());
        assert!(decrypt(&KEY, &IV, &[]).is_none());
        assert!(decrypt(&KEY, &IV, &[0u8; 17]).is_none());
    }
}
