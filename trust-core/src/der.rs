//! A small, tolerant DER reader and writer, for key files and public keys.
//!
//! Key files come from Go's `encoding/asn1`, OpenSSL and older notary releases, so the
//! reader accepts what they write (including the non-standard structures notary puts
//! inside PKCS#8) and leaves judging the contents to the callers. Buffers that may hold
//! private key material are [`Zeroizing`].

use zeroize::Zeroizing;

pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;
pub(crate) const SEQUENCE: u8 = 0x30;
/// `[0]` EXPLICIT (constructed, context-specific).
pub(crate) const CONTEXT_0: u8 = 0xa0;
/// `[1]` EXPLICIT (constructed, context-specific).
pub(crate) const CONTEXT_1: u8 = 0xa1;

/// Object identifiers used by key files (DER contents, without tag and length).
pub(crate) mod oid {
    /// id-ecPublicKey, 1.2.840.10045.2.1
    pub(crate) const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// prime256v1 / P-256, 1.2.840.10045.3.1.7
    pub(crate) const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// secp384r1 / P-384, 1.3.132.0.34
    pub(crate) const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    /// rsaEncryption, 1.2.840.113549.1.1.1
    pub(crate) const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// Ed25519 (RFC 8410), 1.3.101.112
    pub(crate) const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    /// Ed25519 as notary writes it, 1.3.6.1.4.1.11591.15.1
    pub(crate) const NOTARY_ED25519: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01];
    /// PBES2, 1.2.840.113549.1.5.13
    pub(crate) const PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
    /// PBKDF2, 1.2.840.113549.1.5.12
    pub(crate) const PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
    /// hmacWithSHA1, 1.2.840.113549.2.7
    pub(crate) const HMAC_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07];
    /// hmacWithSHA256, 1.2.840.113549.2.9
    pub(crate) const HMAC_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
    /// hmacWithSHA384, 1.2.840.113549.2.10
    pub(crate) const HMAC_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0a];
    /// hmacWithSHA512, 1.2.840.113549.2.11
    pub(crate) const HMAC_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0b];
    /// aes128-CBC, 2.16.840.1.101.3.4.1.2
    pub(crate) const AES128_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02];
    /// aes192-CBC, 2.16.840.1.101.3.4.1.22
    pub(crate) const AES192_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16];
    /// aes256-CBC, 2.16.840.1.101.3.4.1.42
    pub(crate) const AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];
}

/// Reads DER values one after another from a byte slice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `input`.
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Reader { input }
    }

    /// True when everything has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    /// Everything not read yet (e.g. the parameters after an AlgorithmIdentifier's OID).
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.input
    }

    /// The tag of the next value, if any.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.input.first().copied()
    }

    /// Reads the next value of any tag: `(tag, contents)`. Definite lengths only, in
    /// short or long form (up to four length bytes; non-minimal forms are tolerated).
    pub(crate) fn read_any(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.input.split_first()?;
        if tag & 0x1f == 0x1f {
            return None; // multi-byte tags never occur in key files
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = match first {
            0..=0x7f => (usize::from(first), rest),
            0x81..=0x84 => {
                let n = usize::from(first & 0x7f);
                let bytes = rest.get(..n)?;
                let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
                (len, rest.get(n..)?)
            }
            _ => return None,
        };
        let contents = rest.get(..len)?;
        self.input = rest.get(len..)?;
        Some((tag, contents))
    }

    /// Reads the next value, which must have tag `tag`, and returns its contents.
    pub(crate) fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.read_any()? {
            (t, contents) if t == tag => Some(contents),
            _ => None,
        }
    }

    /// Reads the next value if it has tag `tag`.
    pub(crate) fn read_optional(&mut self, tag: u8) -> Option<&'a [u8]> {
        if self.peek_tag() == Some(tag) { self.read(tag) } else { None }
    }

    /// Reads a small non-negative INTEGER (version numbers, iteration counts).
    pub(crate) fn read_small_uint(&mut self) -> Option<u64> {
        small_uint(self.read(INTEGER)?)
    }
}

/// The value of a non-negative INTEGER's contents that fits in 32 bits.
pub(crate) fn small_uint(contents: &[u8]) -> Option<u64> {
    let (&first, _) = contents.split_first()?;
    if first & 0x80 != 0 {
        return None;
    }
    let digits = contents.iter().skip_while(|&&b| b == 0).count();
    if digits > 4 {
        return None;
    }
    Some(contents.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// The encoded size of a length field for `len` content bytes.
fn len_size(len: usize) -> usize {
    match len {
        0..=0x7f => 1,
        0x80..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xff_ffff => 4,
        _ => 5,
    }
}

/// The encoded size of a TLV with `len` content bytes.
pub(crate) fn tlv_size(len: usize) -> usize {
    1 + len_size(len) + len
}

/// Appends the DER length field for `len` content bytes.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Appends `tag`, the DER length of `contents` and `contents` to `out`.
pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: u8, contents: &[u8]) {
    out.push(tag);
    push_len(out, contents.len());
    out.extend_from_slice(contents);
}

/// A DER INTEGER's contents for a small non-negative number.
pub(crate) fn uint_contents(value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    let mut out = Vec::with_capacity(5);
    if bytes[skip] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&bytes[skip..]);
    out
}

/// Builds a value of `tag` whose contents are the concatenation of `parts` (already
/// encoded values, or raw contents), in a buffer that is zeroized on drop and sized so
/// that it never reallocates.
pub(crate) fn sequence_of(tag: u8, parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Zeroizing::new(Vec::with_capacity(tlv_size(len)));
    out.push(tag);
    push_len(&mut out, len);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// One encoded TLV in a zeroizing buffer.
pub(crate) fn tlv(tag: u8, contents: &[u8]) -> Zeroizing<Vec<u8>> {
    sequence_of(tag, &[contents])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend_from_slice(&[7; 0x80]);
        let mut r = Reader::new(&long);
        assert_eq!(r.read(OCTET_STRING).map(<[u8]>::len), Some(0x80));
        assert!(r.is_empty());
        assert!(Reader::new(&[0x04, 0x02, 0x00]).read(OCTET_STRING).is_none());
        assert!(Reader::new(&[0x04, 0x80]).read(OCTET_STRING).is_none(), "indefinite length");
    }

    #[test]
    fn writes_what_it_reads() {
        for len in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 70_000] {
            let contents = vec![0x5a; len];
            let der = tlv(OCTET_STRING, &contents);
            assert_eq!(der.len(), tlv_size(len));
            let mut check = Vec::new();
            push_tlv(&mut check, OCTET_STRING, &contents);
            assert_eq!(*der, check);
            assert_eq!(Reader::new(&der).read(OCTET_STRING), Some(contents.as_slice()));
        }
    }

    #[test]
    fn small_integers() {
        for v in [0u32, 1, 127, 128, 2048, 0x00ff_ffff, u32::MAX] {
            let c = uint_contents(v);
            assert_eq!(small_uint(&c), Some(u64::from(v)), "{v}");
        }
        assert_eq!(uint_contents(2048), vec![0x08, 0x00]);
        assert_eq!(uint_contents(128), vec![0x00, 0x80]);
        assert_eq!(small_uint(&[0xff]), None, "negative");
    }
}
