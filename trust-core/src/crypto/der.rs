//! Just enough DER for key handling: reading SubjectPublicKeyInfo and the algorithm of
//! a PKCS#8 key, writing SubjectPublicKeyInfo, and turning a raw ECDSA `r‖s` into the
//! ASN.1 form some ring algorithms want.

use crate::der::push_tlv;

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// The key algorithm named by an AlgorithmIdentifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyAlg {
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
pub(super) struct Spki<'a> {
    pub(super) alg: KeyAlg,
    pub(super) key: &'a [u8],
}

/// Splits one TLV off the front of `input`: `(tag, contents, rest)`. Only definite,
/// minimally encoded lengths up to 16 MiB are accepted.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81..=0x83 => {
            let n = usize::from(first & 0x7f);
            let (bytes, rest) = (rest.get(..n)?, rest.get(n..)?);
            if bytes[0] == 0 {
                return None;
            }
            let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return None;
            }
            (len, rest)
        }
        _ => return None,
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// Reads a TLV that must have tag `tag`: `(contents, rest)`.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    match read_tlv(input)? {
        (t, contents, rest) if t == tag => Some((contents, rest)),
        _ => None,
    }
}

/// The key algorithm of an AlgorithmIdentifier's contents.
fn algorithm(contents: &[u8]) -> Option<KeyAlg> {
    let (oid, params) = expect(contents, TAG_OID)?;
    Some(match oid {
        OID_EC_PUBLIC_KEY => {
            let (curve, rest) = expect(params, TAG_OID)?;
            if !rest.is_empty() {
                return None;
            }
            match curve {
                OID_P256 => KeyAlg::EcP256,
                OID_P384 => KeyAlg::EcP384,
                _ => KeyAlg::EcOther,
            }
        }
        OID_RSA => match params {
            [] | [TAG_NULL, 0] => KeyAlg::Rsa,
            _ => return None,
        },
        OID_ED25519 if params.is_empty() => KeyAlg::Ed25519,
        _ => KeyAlg::Other,
    })
}

/// Parses a DER SubjectPublicKeyInfo; trailing bytes are refused.
pub(super) fn parse_spki(der: &[u8]) -> Option<Spki<'_>> {
    let (body, rest) = expect(der, TAG_SEQUENCE)?;
    let (alg, body) = expect(body, TAG_SEQUENCE)?;
    let (bits, body) = expect(body, TAG_BIT_STRING)?;
    if !rest.is_empty() || !body.is_empty() {
        return None;
    }
    match bits.split_first()? {
        (0, key) => Some(Spki { alg: algorithm(alg)?, key }),
        _ => None,
    }
}

/// The algorithm of a PKCS#8 PrivateKeyInfo (v1 or v2).
pub(super) fn pkcs8_algorithm(der: &[u8]) -> Option<KeyAlg> {
    let (body, _) = expect(der, TAG_SEQUENCE)?;
    let (_version, body) = expect(body, TAG_INTEGER)?;
    let (alg, body) = expect(body, TAG_SEQUENCE)?;
    expect(body, TAG_OCTET_STRING)?;
    algorithm(alg)
}

/// The size in bits of the modulus of a PKCS#1 RSAPublicKey.
pub(super) fn rsa_modulus_bits(rsa_public_key: &[u8]) -> Option<usize> {
    let (body, rest) = expect(rsa_public_key, TAG_SEQUENCE)?;
    let (modulus, body) = expect(body, TAG_INTEGER)?;
    let (_exponent, body) = expect(body, TAG_INTEGER)?;
    if !rest.is_empty() || !body.is_empty() {
        return None;
    }
    let start = modulus.iter().position(|&b| b != 0)?;
    let top = modulus[start];
    Some((modulus.len() - start - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// A DER SubjectPublicKeyInfo for `alg` (P-256, P-384 or RSA) holding `key` (an
/// uncompressed EC point or a PKCS#1 RSAPublicKey); `None` for other algorithms.
pub(super) fn write_spki(alg: KeyAlg, key: &[u8]) -> Option<Vec<u8>> {
    let mut alg_id = Vec::with_capacity(24);
    match alg {
        KeyAlg::EcP256 | KeyAlg::EcP384 => {
            push_tlv(&mut alg_id, TAG_OID, OID_EC_PUBLIC_KEY);
            push_tlv(&mut alg_id, TAG_OID, if alg == KeyAlg::EcP256 { OID_P256 } else { OID_P384 });
        }
        KeyAlg::Rsa => {
            push_tlv(&mut alg_id, TAG_OID, OID_RSA);
            push_tlv(&mut alg_id, TAG_NULL, &[]);
        }
        _ => return None,
    }
    let mut bits = Vec::with_capacity(key.len() + 1);
    bits.push(0);
    bits.extend_from_slice(key);
    let mut body = Vec::with_capacity(alg_id.len() + bits.len() + 8);
    push_tlv(&mut body, TAG_SEQUENCE, &alg_id);
    push_tlv(&mut body, TAG_BIT_STRING, &bits);
    let mut out = Vec::with_capacity(body.len() + 4);
    push_tlv(&mut out, TAG_SEQUENCE, &body);
    Some(out)
}

/// The ASN.1 `ECDSA-Sig-Value` for a raw `r‖s` signature (two equal halves).
pub(super) fn ecdsa_raw_to_asn1(raw: &[u8]) -> Vec<u8> {
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
        push_tlv(&mut body, TAG_INTEGER, &value);
    }
    let mut out = Vec::with_capacity(body.len() + 3);
    push_tlv(&mut out, TAG_SEQUENCE, &body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(read_tlv(&[0x04, 0x81, 0x01, 0xaa]).is_none());
        assert!(read_tlv(&[0x04, 0x80, 0x00, 0x00]).is_none());
        assert!(read_tlv(&[0x04, 0x02, 0xaa]).is_none());
    }

    #[test]
    fn raw_to_asn1() {
        let mut raw = [0u8; 64];
        raw[0] = 0x80;
        raw[63] = 0x01;
        let der = ecdsa_raw_to_asn1(&raw);
        let (body, rest) = expect(&der, TAG_SEQUENCE).unwrap();
        assert!(rest.is_empty());
        let (r, body) = expect(body, TAG_INTEGER).unwrap();
        let (s, body) = expect(body, TAG_INTEGER).unwrap();
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
