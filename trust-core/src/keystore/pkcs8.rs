//! The private keys inside key files: notary's PKCS#8 dialect, standard PKCS#8 and the
//! legacy forms, converted to and from the standard PKCS#8 that
//! [`PrivateKey`](trust_tuf::crypto::signer::PrivateKey) takes.
//!
//! Notary (`tuf/utils/pkcs8.go`) writes `PrivateKeyInfo` with these quirks:
//!
//! | key | version | AlgorithmIdentifier | privateKey |
//! |---|---|---|---|
//! | ECDSA | 1 | `{id-ecPublicKey, namedCurve}` | SEC1 `ECPrivateKey` with `[0]` curve and `[1]` public key, no PKCS#8-level public key |
//! | RSA | 0 | `{rsaEncryption}` without the NULL parameter | PKCS#1 `RSAPrivateKey` |
//! | Ed25519 | 0 | `{1.3.6.1.4.1.11591.15.1}` | the raw 96 bytes `public ‖ seed ‖ public`, not wrapped in an OCTET STRING |
//!
//! ring wants version 0 and a public key inside SEC1 for ECDSA, the NULL parameter for
//! RSA and RFC 8410 for Ed25519, so keys are normalised on the way in and written back
//! in notary's form on the way out.

use trust_tuf::crypto::backend::signature::{Ed25519KeyPair, KeyPair as _};
use zeroize::Zeroizing;

use crate::Error;
use trust_tuf::crypto::signer::PrivateKey;
use trust_tuf::der::{self, BIT_STRING, CONTEXT_0, CONTEXT_1, INTEGER, NULL, OCTET_STRING, OID, Reader, SEQUENCE, oid};
use trust_tuf::wire::KeyType;

/// Why a decoded structure is not a usable key.
pub(super) enum Invalid {
    /// Not a PrivateKeyInfo at all (after decryption: most likely a wrong passphrase).
    Structure,
    /// A well-formed key that cannot be used; the message says why.
    Key(Error),
}

fn invalid(what: &str) -> Invalid {
    Invalid::Key(Error::Key(format!("invalid private key: {what}")))
}

/// An elliptic curve notary keys may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

impl Curve {
    fn from_oid(oid: &[u8]) -> Option<Curve> {
        match oid {
            oid::P256 => Some(Curve::P256),
            oid::P384 => Some(Curve::P384),
            _ => None,
        }
    }

    fn oid(self) -> &'static [u8] {
        match self {
            Curve::P256 => oid::P256,
            Curve::P384 => oid::P384,
        }
    }

    fn scalar_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }
}

/// The parts of a PrivateKeyInfo.
struct Info<'a> {
    #[cfg_attr(not(test), allow(dead_code))]
    version: u64,
    alg_oid: &'a [u8],
    alg_params: &'a [u8],
    private_key: &'a [u8],
}

fn parse_info(der: &[u8]) -> Option<Info<'_>> {
    let mut outer = Reader::new(der);
    let body = outer.read(SEQUENCE)?;
    if !outer.is_empty() {
        return None;
    }
    let mut r = Reader::new(body);
    let version = r.read_small_uint()?;
    let mut alg = Reader::new(r.read(SEQUENCE)?);
    let alg_oid = alg.read(OID)?;
    let alg_params = alg.rest();
    let private_key = r.read(OCTET_STRING)?;
    // [0] attributes and [1] publicKey may follow; neither is needed.
    if version > 1 {
        return None;
    }
    Some(Info { version, alg_oid, alg_params, private_key })
}

/// Standard PKCS#8 for any PrivateKeyInfo: notary's dialect, OpenSSL's, ring's, RFC 8410.
pub(super) fn to_standard(der: &[u8]) -> Result<Zeroizing<Vec<u8>>, Invalid> {
    let info = parse_info(der).ok_or(Invalid::Structure)?;
    match info.alg_oid {
        oid::EC_PUBLIC_KEY => {
            let curve_oid = Reader::new(info.alg_params).read(OID).ok_or_else(|| invalid("EC parameters"))?;
            from_sec1(info.private_key, Some(curve_oid))
        }
        oid::RSA => match info.alg_params {
            [] | [NULL, 0] => Ok(from_pkcs1(info.private_key)),
            _ => Err(invalid("RSA parameters")),
        },
        oid::NOTARY_ED25519 => from_ed25519_blob(info.private_key),
        oid::ED25519 => {
            let seed = Reader::new(info.private_key).read(OCTET_STRING).ok_or_else(|| invalid("Ed25519 seed"))?;
            ed25519_from_seed(seed)
        }
        _ => Err(Invalid::Key(Error::Key(
            "unsupported private key algorithm (notary keys are ECDSA, RSA or Ed25519)".into(),
        ))),
    }
}

/// Standard PKCS#8 for a SEC1 `ECPrivateKey` (the `EC PRIVATE KEY` PEM body, or the
/// inside of an ECDSA PKCS#8). `outer_curve` is the curve OID from the PKCS#8
/// AlgorithmIdentifier, if there is one.
pub(super) fn from_sec1(sec1: &[u8], outer_curve: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, Invalid> {
    let mut outer = Reader::new(sec1);
    let body = outer.read(SEQUENCE).ok_or(Invalid::Structure)?;
    let mut r = Reader::new(body);
    if r.read_small_uint() != Some(1) {
        return Err(Invalid::Structure);
    }
    let scalar = r.read(OCTET_STRING).ok_or(Invalid::Structure)?;
    let inner_curve = match r.read_optional(CONTEXT_0) {
        Some(p) => Some(Reader::new(p).read(OID).ok_or_else(|| invalid("EC parameters"))?),
        None => None,
    };
    let public = match r.read_optional(CONTEXT_1) {
        Some(p) => Some(Reader::new(p).read(BIT_STRING).ok_or_else(|| invalid("EC public key"))?),
        None => None,
    };
    let curve_oid = match (inner_curve, outer_curve) {
        (Some(a), Some(b)) if a != b => return Err(invalid("the EC private key names two different curves")),
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => return Err(invalid("the EC private key does not name its curve")),
    };
    let curve = Curve::from_oid(curve_oid)
        .ok_or_else(|| Invalid::Key(Error::Key("unsupported elliptic curve (only P-256 and P-384)".into())))?;
    let public = match public {
        Some([0, point @ ..]) => point,
        _ => return Err(invalid("the EC private key has no public key")),
    };
    let scalar = fixed_scalar(scalar, curve.scalar_len()).ok_or_else(|| invalid("EC private scalar"))?;
    Ok(ec_pkcs8(0, curve, &scalar, public, false))
}

/// `scalar` as exactly `len` big-endian bytes.
fn fixed_scalar(scalar: &[u8], len: usize) -> Option<Zeroizing<Vec<u8>>> {
    let digits = &scalar[scalar.iter().take_while(|&&b| b == 0).count()..];
    if digits.len() > len {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; len]);
    out[len - digits.len()..].copy_from_slice(digits);
    Some(out)
}

/// An ECDSA PrivateKeyInfo: `version`, `{id-ecPublicKey, curve}` and a SEC1 key with
/// `[1]` public key, and `[0]` curve when `with_curve` (Go's `MarshalECPrivateKey`
/// writes it; ring accepts it when it matches).
fn ec_pkcs8(version: u32, curve: Curve, scalar: &[u8], point: &[u8], with_curve: bool) -> Zeroizing<Vec<u8>> {
    let curve_oid = der::tlv(OID, curve.oid());
    let sec1_version = der::tlv(INTEGER, &[1]);
    let private = der::tlv(OCTET_STRING, scalar);
    let params = der::sequence_of(CONTEXT_0, &[&curve_oid]);
    let bits = der::sequence_of(BIT_STRING, &[&[0], point]);
    let public = der::sequence_of(CONTEXT_1, &[&bits]);
    let sec1 = if with_curve {
        der::sequence_of(SEQUENCE, &[&sec1_version, &private, &params, &public])
    } else {
        der::sequence_of(SEQUENCE, &[&sec1_version, &private, &public])
    };
    let alg = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::EC_PUBLIC_KEY), &curve_oid]);
    let version = der::tlv(INTEGER, &der::uint_contents(version));
    der::sequence_of(SEQUENCE, &[&version, &alg, &der::tlv(OCTET_STRING, &sec1)])
}

/// Standard PKCS#8 for a PKCS#1 `RSAPrivateKey` (ring checks its contents).
pub(super) fn from_pkcs1(pkcs1: &[u8]) -> Zeroizing<Vec<u8>> {
    let alg = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::RSA), &der::tlv(NULL, &[])]);
    der::sequence_of(SEQUENCE, &[&der::tlv(INTEGER, &[0]), &alg, &der::tlv(OCTET_STRING, pkcs1)])
}

/// Standard PKCS#8 for notary's Ed25519 blob: `public(32) ‖ seed(32) ‖ public(32)`
/// (also accepted without the leading public key, as Go's 64-byte private key).
pub(super) fn from_ed25519_blob(blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, Invalid> {
    let (seed, publics): (&[u8], Vec<&[u8]>) = match blob.len() {
        96 => (&blob[32..64], vec![&blob[..32], &blob[64..]]),
        64 => (&blob[..32], vec![&blob[32..]]),
        _ => return Err(invalid("an Ed25519 key must be 96 bytes (public ‖ seed ‖ public)")),
    };
    let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| invalid("Ed25519 seed"))?;
    if publics.iter().any(|p| *p != pair.public_key().as_ref()) {
        return Err(invalid("the Ed25519 public key does not belong to the private key"));
    }
    ed25519_from_seed(seed)
}

/// RFC 8410 PKCS#8 v2 (with the public key) for an Ed25519 seed.
fn ed25519_from_seed(seed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Invalid> {
    let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| invalid("Ed25519 seed"))?;
    let alg = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::ED25519)]);
    let private = der::tlv(OCTET_STRING, &der::tlv(OCTET_STRING, seed));
    let bits = der::sequence_of(BIT_STRING, &[&[0], pair.public_key().as_ref()]);
    // [1] IMPLICIT BIT STRING: primitive context tag 1.
    let public = der::tlv(0x81, &bits[2..]);
    Ok(der::sequence_of(SEQUENCE, &[&der::tlv(INTEGER, &[1]), &alg, &private, &public]))
}

/// The PKCS#8 that notary writes for `key` (see the module documentation).
pub(super) fn to_notary(key: &PrivateKey) -> Result<Zeroizing<Vec<u8>>, Error> {
    let broken = || Error::Key("cannot encode this private key in notary's format".into());
    let info = parse_info(key.pkcs8_der()?).ok_or_else(broken)?;
    let public = key.public_key();
    match info.alg_oid {
        oid::EC_PUBLIC_KEY => {
            let curve = Reader::new(info.alg_params).read(OID).and_then(Curve::from_oid).ok_or_else(broken)?;
            let mut sec1 = Reader::new(Reader::new(info.private_key).read(SEQUENCE).ok_or_else(broken)?);
            sec1.read_small_uint().ok_or_else(broken)?;
            let scalar =
                fixed_scalar(sec1.read(OCTET_STRING).ok_or_else(broken)?, curve.scalar_len()).ok_or_else(broken)?;
            let point = spki_key(&public.public).ok_or_else(broken)?;
            Ok(ec_pkcs8(1, curve, &scalar, point, true))
        }
        oid::RSA => {
            let alg = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::RSA)]);
            Ok(der::sequence_of(SEQUENCE, &[&der::tlv(INTEGER, &[0]), &alg, &der::tlv(OCTET_STRING, info.private_key)]))
        }
        oid::ED25519 => {
            let seed = Reader::new(info.private_key).read(OCTET_STRING).ok_or_else(broken)?;
            if public.keytype != KeyType::Ed25519 || public.public.len() != 32 || seed.len() != 32 {
                return Err(broken());
            }
            let mut blob = Zeroizing::new(Vec::with_capacity(96));
            blob.extend_from_slice(&public.public);
            blob.extend_from_slice(seed);
            blob.extend_from_slice(&public.public);
            let alg = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::NOTARY_ED25519)]);
            Ok(der::sequence_of(SEQUENCE, &[&der::tlv(INTEGER, &[0]), &alg, &der::tlv(OCTET_STRING, &blob)]))
        }
        _ => Err(broken()),
    }
}

/// The BIT STRING contents (without the unused-bits byte) of a SubjectPublicKeyInfo.
fn spki_key(spki: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(Reader::new(spki).read(SEQUENCE)?);
    r.read(SEQUENCE)?;
    match r.read(BIT_STRING)? {
        [0, key @ ..] => Some(key),
        _ => None,
    }
}

/// A SubjectPublicKeyInfo DER for `key`: notary's public key bytes for ECDSA and RSA,
/// RFC 8410 for Ed25519 (notary keeps those as 32 raw bytes).
pub(super) fn public_spki(key: &PrivateKey) -> Vec<u8> {
    let public = key.public_key();
    match public.keytype {
        KeyType::Ed25519 => {
            let alg = der::sequence_of(SEQUENCE, &[&der::tlv(OID, oid::ED25519)]);
            let bits = der::sequence_of(BIT_STRING, &[&[0], &public.public]);
            der::sequence_of(SEQUENCE, &[&alg, &bits]).to_vec()
        }
        _ => public.public,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trust_tuf::crypto::signer::KeyAlgorithm;

    const RSA_2048: &[u8] = include_bytes!("../../../trust-tuf/src/crypto/testdata/rsa2048.pk8.der");

    fn round_trip(key: &PrivateKey) -> PrivateKey {
        let notary = to_notary(key).unwrap();
        let standard = to_standard(&notary).unwrap_or_else(|_| panic!("to_standard"));
        PrivateKey::from_pkcs8_der(&standard).unwrap()
    }

    #[test]
    fn ecdsa_notary_form() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let notary = to_notary(&key).unwrap();
        // SEQUENCE { INTEGER 1, SEQUENCE { ecPublicKey, P-256 }, OCTET STRING { SEC1 } }: 147
        // bytes, as Go writes it (a ciphertext of 160 bytes in notary's files).
        assert_eq!(&notary[..7], &[0x30, 0x81, 0x93, 0x02, 0x01, 0x01, 0x30]);
        let info = parse_info(&notary).unwrap();
        assert_eq!(info.version, 1);
        let mut sec1 = Reader::new(Reader::new(info.private_key).read(SEQUENCE).unwrap());
        assert_eq!(sec1.read_small_uint(), Some(1));
        assert_eq!(sec1.read(OCTET_STRING).unwrap().len(), 32);
        assert!(sec1.read(CONTEXT_0).is_some());
        assert!(sec1.read(CONTEXT_1).is_some());
        assert!(sec1.is_empty());
        assert_eq!(round_trip(&key).public_key(), key.public_key());
    }

    #[test]
    fn rsa_notary_form_has_no_null() {
        let key = PrivateKey::from_pkcs8_der(RSA_2048).unwrap();
        let notary = to_notary(&key).unwrap();
        let info = parse_info(&notary).unwrap();
        assert_eq!((info.version, info.alg_oid, info.alg_params), (0, oid::RSA, &[][..]));
        assert_eq!(round_trip(&key).public_key(), key.public_key());
    }

    #[test]
    fn ed25519_notary_form() {
        let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let notary = to_notary(&key).unwrap();
        let info = parse_info(&notary).unwrap();
        assert_eq!((info.version, info.alg_oid), (0, oid::NOTARY_ED25519));
        assert_eq!(info.private_key.len(), 96);
        assert_eq!(&info.private_key[..32], key.public_key().public.as_slice());
        assert_eq!(&info.private_key[64..], key.public_key().public.as_slice());
        assert_eq!(round_trip(&key).public_key(), key.public_key());

        let mut bad = info.private_key.to_vec();
        bad[0] ^= 1;
        assert!(matches!(from_ed25519_blob(&bad), Err(Invalid::Key(_))));
    }

    #[test]
    fn garbage_is_structure_error() {
        assert!(matches!(to_standard(&[0x30, 0x03, 0x02, 0x01]), Err(Invalid::Structure)));
        assert!(matches!(to_standard(&[0x13; 40]), Err(Invalid::Structure)));
    }
}
