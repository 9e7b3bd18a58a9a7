//! The one DER reader and writer: for key files, public keys and signatures.
//!
//! Key files come from Go's `encoding/asn1`, OpenSSL and older notary releases, so the
//! [`Reader::new`] reader accepts what they write (including the non-standard structures
//! notary puts inside PKCS#8) and leaves judging the contents to the callers. Public
//! keys in metadata are read with [`Reader::strict`], which accepts only minimal,
//! definite lengths up to 16 MiB. On top of it sit the few structures signature
//! checks need: SubjectPublicKeyInfo (read and written), the algorithm of a PKCS#8 key,
//! an RSA modulus size, and the ASN.1 form of a raw ECDSA `r‖s`. Buffers that may hold
//! private key material are [`Zeroizing`].

use zeroize::Zeroizing;

/// The tag of INTEGER.
pub const INTEGER: u8 = 0x02;
/// The tag of BIT STRING.
pub const BIT_STRING: u8 = 0x03;
/// The tag of OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;
/// The tag of NULL.
pub const NULL: u8 = 0x05;
/// The tag of OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// The tag of SEQUENCE (constructed).
pub const SEQUENCE: u8 = 0x30;
/// `[0]` EXPLICIT (constructed, context-specific).
pub const CONTEXT_0: u8 = 0xa0;
/// `[1]` EXPLICIT (constructed, context-specific).
pub const CONTEXT_1: u8 = 0xa1;

/// Object identifiers used by key files (DER contents, without tag and length).
pub mod oid {
    /// id-ecPublicKey, 1.2.840.10045.2.1
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// prime256v1 / P-256, 1.2.840.10045.3.1.7
    pub const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// secp384r1 / P-384, 1.3.132.0.34
    pub const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    /// rsaEncryption, 1.2.840.113549.1.1.1
    pub const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// Ed25519 (RFC 8410), 1.3.101.112
    pub const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    /// Ed25519 as notary writes it, 1.3.6.1.4.1.11591.15.1
    pub const NOTARY_ED25519: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01];
    /// PBES2, 1.2.840.113549.1.5.13
    pub const PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
    /// PBKDF2, 1.2.840.113549.1.5.12
    pub const PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
    /// hmacWithSHA1, 1.2.840.113549.2.7
    pub const HMAC_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07];
    /// hmacWithSHA256, 1.2.840.113549.2.9
    pub const HMAC_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
    /// hmacWithSHA384, 1.2.840.113549.2.10
    pub const HMAC_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0a];
    /// hmacWithSHA512, 1.2.840.113549.2.11
    pub const HMAC_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0b];
    /// aes128-CBC, 2.16.840.1.101.3.4.1.2
    pub const AES128_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02];
    /// aes192-CBC, 2.16.840.1.101.3.4.1.22
    pub const AES192_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16];
    /// aes256-CBC, 2.16.840.1.101.3.4.1.42
    pub const AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];
}

/// Reads DER values one after another from a byte slice.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    input: &'a [u8],
    strict: bool,
}

impl<'a> Reader<'a> {
    /// A reader over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Reader { input, strict: false }
    }

    /// A reader over `input` that refuses non-minimal lengths and lengths of more than
    /// three bytes (16 MiB), as DER requires: for public keys and signatures.
    pub fn strict(input: &'a [u8]) -> Self {
        Reader { input, strict: true }
    }

    /// True when everything has been read.
    pub fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    /// Everything not read yet (e.g. the parameters after an AlgorithmIdentifier's OID).
    pub fn rest(&self) -> &'a [u8] {
        self.input
    }

    /// The tag of the next value, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.input.first().copied()
    }

    /// Reads the next value of any tag: `(tag, contents)`. Definite lengths only, in
    /// short or long form (up to four length bytes; non-minimal forms are tolerated,
    /// except by a [`Reader::strict`] one).
    pub fn read_any(&mut self) -> Option<(u8, &'a [u8])> {
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
                if self.strict && (n > 3 || bytes[0] == 0 || len < 0x80) {
                    return None;
                }
                (len, rest.get(n..)?)
            }
            _ => return None,
        };
        let contents = rest.get(..len)?;
        self.input = rest.get(len..)?;
        Some((tag, contents))
    }

    /// Reads the next value, which must have tag `tag`, and returns its contents.
    pub fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.read_any()? {
            (t, contents) if t == tag => Some(contents),
            _ => None,
        }
    }

    /// Reads the next value if it has tag `tag`.
    pub fn read_optional(&mut self, tag: u8) -> Option<&'a [u8]> {
        if self.peek_tag() == Some(tag) { self.read(tag) } else { None }
    }

    /// Reads a small non-negative INTEGER (version numbers, iteration counts).
    pub fn read_small_uint(&mut self) -> Option<u64> {
        small_uint(self.read(INTEGER)?)
    }
}

/// The value of a non-negative INTEGER's contents that fits in 32 bits.
pub fn small_uint(contents: &[u8]) -> Option<u64> {
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
pub fn tlv_size(len: usize) -> usize {
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
pub fn push_tlv(out: &mut Vec<u8>, tag: u8, contents: &[u8]) {
    out.push(tag);
    push_len(out, contents.len());
    out.extend_from_slice(contents);
}

/// A DER INTEGER's contents for a small non-negative number.
pub fn uint_contents(value: u32) -> Vec<u8> {
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
pub fn sequence_of(tag: u8, parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
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
pub fn tlv(tag: u8, contents: &[u8]) -> Zeroizing<Vec<u8>> {
    sequence_of(tag, &[contents])
}

/// The key algorithm named by an AlgorithmIdentifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyAlg {
    /// ECDSA on P-256.
    EcP256,
    /// ECDSA on P-384.
    EcP384,
    /// ECDSA on a curve ring does not support (P-521, brainpool, ...).
    EcOther,
    /// RSA (`rsaEncryption`).
    Rsa,
    /// Ed25519 (RFC 8410).
    Ed25519,
    /// Anything else.
    Other,
}

/// A parsed SubjectPublicKeyInfo: the algorithm and the BIT STRING contents (an EC
/// point, a PKCS#1 RSAPublicKey or a raw Ed25519 key).
#[derive(Debug)]
pub(crate) struct Spki<'a> {
    pub(crate) alg: KeyAlg,
    pub(crate) key: &'a [u8],
}

/// Reads a value that must have tag `tag` with a [`Reader::strict`]: `(contents, rest)`.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let mut r = Reader::strict(input);
    let contents = r.read(tag)?;
    Some((contents, r.rest()))
}

/// The key algorithm of an AlgorithmIdentifier's contents.
fn algorithm(contents: &[u8]) -> Option<KeyAlg> {
    let (id, params) = expect(contents, OID)?;
    Some(match id {
        oid::EC_PUBLIC_KEY => {
            let (curve, rest) = expect(params, OID)?;
            if !rest.is_empty() {
                return None;
            }
            match curve {
                oid::P256 => KeyAlg::EcP256,
                oid::P384 => KeyAlg::EcP384,
                _ => KeyAlg::EcOther,
            }
        }
        oid::RSA => match params {
            [] | [NULL, 0] => KeyAlg::Rsa,
            _ => return None,
        },
        oid::ED25519 if params.is_empty() => KeyAlg::Ed25519,
        _ => KeyAlg::Other,
    })
}

/// Parses a DER SubjectPublicKeyInfo; trailing bytes are refused.
pub(crate) fn parse_spki(der: &[u8]) -> Option<Spki<'_>> {
    let (body, rest) = expect(der, SEQUENCE)?;
    let (alg, body) = expect(body, SEQUENCE)?;
    let (bits, body) = expect(body, BIT_STRING)?;
    if !rest.is_empty() || !body.is_empty() {
        return None;
    }
    match bits.split_first()? {
        (0, key) => Some(Spki { alg: algorithm(alg)?, key }),
        _ => None,
    }
}

/// The algorithm of a PKCS#8 PrivateKeyInfo (v1 or v2).
pub(crate) fn pkcs8_algorithm(der: &[u8]) -> Option<KeyAlg> {
    let (body, _) = expect(der, SEQUENCE)?;
    let (_version, body) = expect(body, INTEGER)?;
    let (alg, body) = expect(body, SEQUENCE)?;
    expect(body, OCTET_STRING)?;
    algorithm(alg)
}

/// The size in bits of the modulus of a PKCS#1 RSAPublicKey.
pub(crate) fn rsa_modulus_bits(rsa_public_key: &[u8]) -> Option<usize> {
    let (body, rest) = expect(rsa_public_key, SEQUENCE)?;
    let (modulus, body) = expect(body, INTEGER)?;
    let (_exponent, body) = expect(body, INTEGER)?;
    if !rest.is_empty() || !body.is_empty() {
        return None;
    }
    let start = modulus.iter().position(|&b| b != 0)?;
    let top = modulus[start];
    Some((modulus.len() - start - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// A DER SubjectPublicKeyInfo for `alg` (P-256, P-384 or RSA) holding `key` (an
/// uncompressed EC point or a PKCS#1 RSAPublicKey); `None` for other algorithms.
pub(crate) fn write_spki(alg: KeyAlg, key: &[u8]) -> Option<Vec<u8>> {
    let mut alg_id = Vec::with_capacity(24);
    match alg {
        KeyAlg::EcP256 | KeyAlg::EcP384 => {
            push_tlv(&mut alg_id, OID, oid::EC_PUBLIC_KEY);
            push_tlv(&mut alg_id, OID, if alg == KeyAlg::EcP256 { oid::P256 } else { oid::P384 });
        }
        KeyAlg::Rsa => {
            push_tlv(&mut alg_id, OID, oid::RSA);
            push_tlv(&mut alg_id, NULL, &[]);
        }
        _ => return None,
    }
    let mut bits = Vec::with_capacity(key.len() + 1);
    bits.push(0);
    bits.extend_from_slice(key);
    let mut body = Vec::with_capacity(alg_id.len() + bits.len() + 8);
    push_tlv(&mut body, SEQUENCE, &alg_id);
    push_tlv(&mut body, BIT_STRING, &bits);
    let mut out = Vec::with_capacity(body.len() + 4);
    push_tlv(&mut out, SEQUENCE, &body);
    Some(out)
}

/// The ASN.1 `ECDSA-Sig-Value` for a raw `r‖s` signature (two equal halves).
pub(crate) fn ecdsa_raw_to_asn1(raw: &[u8]) -> Vec<u8> {
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut body = Vec::with_capacity(raw.len() + 6);
    for int in [r, s] {
        let start = int.iter().position(|&b| b != 0).unwrap_or(int.len());
        let digits = &int[start..];
        let mut value = Vec::with_capacity(digits.len() + 1);
        if digits.first().is_none_or(|&b| b & 0x80 != 0) {
            value.push(0);
        }
        value.extend_from_slice(digits);
        push_tlv(&mut body, INTEGER, &value);
    }
    let mut out = Vec::with_capacity(body.len() + 3);
    push_tlv(&mut out, SEQUENCE, &body);
    out
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

    #[test]
    fn spki_round_trip_p256() {
        let point = [4u8; 65];
        let der = write_spki(KeyAlg::EcP256, &point).unwrap();
        assert_eq!(&der[..4], &[0x30, 0x59, 0x30, 0x13]);
        let spki = parse_spki(&der).unwrap();
        assert_eq!(spki.alg, KeyAlg::EcP256);
        assert_eq!(spki.key, &point);
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(parse_spki(&trailing).is_none());
    }

    #[test]
    fn long_lengths() {
        let key = vec![0x11; 300];
        let der = write_spki(KeyAlg::Rsa, &key).unwrap();
        assert_eq!(&der[..2], &[0x30, 0x82]);
        assert_eq!(parse_spki(&der).unwrap().key, key.as_slice());
    }

    #[test]
    fn non_minimal_length_refused() {
        assert!(Reader::strict(&[0x04, 0x81, 0x01, 0xaa]).read_any().is_none());
        assert!(Reader::strict(&[0x04, 0x80, 0x00, 0x00]).read_any().is_none());
        assert!(Reader::strict(&[0x04, 0x02, 0xaa]).read_any().is_none());
        assert!(Reader::new(&[0x04, 0x81, 0x01, 0xaa]).read_any().is_some(), "key files may use them");
    }

    #[test]
    fn raw_to_asn1() {
        let mut raw = [0u8; 64];
        raw[0] = 0x80;
        raw[63] = 0x01;
        let der = ecdsa_raw_to_asn1(&raw);
        let (body, rest) = expect(&der, SEQUENCE).unwrap();
        assert!(rest.is_empty());
        let (r, body) = expect(body, INTEGER).unwrap();
        let (s, body) = expect(body, INTEGER).unwrap();
        assert!(body.is_empty());
        assert_eq!(r.len(), 33);
        assert_eq!(r[0], 0);
        assert_eq!(s, &[1]);
    }

    #[test]
    fn modulus_bits() {
        // SEQUENCE { INTEGER 0x00 0x80 0x00, INTEGER 3 }: a 16-bit modulus.
        assert_eq!(rsa_modulus_bits(&[0x30, 0x08, 0x02, 0x03, 0x00, 0x80, 0x00, 0x02, 0x01, 0x03]), Some(16));
    }
}
