//! Length and hash checks of downloaded bytes against what metadata lists for them:
//! a `meta` entry (a metadata file) or a target file.
//!
//! Every hash listed must be one this module computes (`sha256`, `sha384`,
//! `sha512`) and must match: a hash the client cannot compute cannot vouch for the
//! bytes, so an unknown algorithm is a mismatch, as in python-tuf. [`Hasher`] checks
//! a body as it streams, so a large target file is never held in memory to be
//! checked.

use std::collections::BTreeMap;

use crate::crypto::backend::digest::{self, Algorithm, Context};

/// The algorithms this module computes, by the names metadata gives them.
fn algorithm(name: &str) -> Option<&'static Algorithm> {
    match name {
        "sha256" => Some(&digest::SHA256),
        "sha384" => Some(&digest::SHA384),
        "sha512" => Some(&digest::SHA512),
        _ => None,
    }
}

/// Checks `bytes` against `length` and `hashes`, either of which may be absent (a
/// `meta` entry need not carry them). Returns what did not match.
pub fn check(bytes: &[u8], length: Option<u64>, hashes: Option<&BTreeMap<String, String>>) -> Result<(), String> {
    let mut hasher = Hasher::new(length, hashes)?;
    hasher.update(bytes)?;
    hasher.finish()
}

/// A streaming check of a body against a length and hashes.
pub struct Hasher {
    length: Option<u64>,
    read: u64,
    digests: Vec<(String, Vec<u8>, Context)>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").field("length", &self.length).field("read", &self.read).finish_non_exhaustive()
    }
}

impl Hasher {
    /// Starts a check. Fails at once when a listed hash is not hex or its algorithm is
    /// not one this module computes.
    pub fn new(length: Option<u64>, hashes: Option<&BTreeMap<String, String>>) -> Result<Self, String> {
        let mut digests = Vec::new();
        for (name, hex_value) in hashes.into_iter().flatten() {
            let alg = algorithm(name)
                .ok_or_else(|| format!("hash algorithm {name:?} is not supported (sha256, sha384 and sha512 are)"))?;
            let expected = hex::decode(hex_value).map_err(|_| format!("the {name} hash is not hex"))?;
            digests.push((name.clone(), expected, Context::new(alg)));
        }
        Ok(Hasher { length, read: 0, digests })
    }

    /// Feeds the next bytes. Fails as soon as more bytes arrive than the length allows.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), String> {
        self.read += chunk.len() as u64;
        if let Some(length) = self.length
            && self.read > length
        {
            return Err(format!("more than the expected {length} bytes"));
        }
        for (_, _, ctx) in &mut self.digests {
            ctx.update(chunk);
        }
        Ok(())
    }

    /// Ends the check: the exact length, then every hash.
    pub fn finish(self) -> Result<(), String> {
        if let Some(length) = self.length
            && self.read != length
        {
            return Err(format!("length {} does not match the expected {length}", self.read));
        }
        for (name, expected, ctx) in self.digests {
            if ctx.finish().as_ref() != expected.as_slice() {
                return Err(format!("{name} hash does not match"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256_hex(bytes: &[u8]) -> String {
        hex::encode(digest::digest(&digest::SHA256, bytes))
    }

    #[test]
    fn length_and_hashes() {
        let good = BTreeMap::from([("sha256".to_owned(), sha256_hex(b"abc"))]);
        assert_eq!(check(b"abc", Some(3), Some(&good)), Ok(()));
        assert_eq!(check(b"abc", None, None), Ok(()));
        assert!(check(b"abd", Some(3), Some(&good)).unwrap_err().contains("sha256 hash does not match"));
        assert!(check(b"abcd", Some(3), None).unwrap_err().contains("more than the expected 3"));
        assert!(check(b"ab", Some(3), None).unwrap_err().contains("length 2"));
        let unknown = BTreeMap::from([("md5".to_owned(), "00".to_owned())]);
        assert!(check(b"abc", None, Some(&unknown)).unwrap_err().contains("not supported"));
        let mut h = Hasher::new(Some(3), Some(&good)).unwrap();
        h.update(b"a").unwrap();
        h.update(b"bc").unwrap();
        h.finish().unwrap();
    }
}
