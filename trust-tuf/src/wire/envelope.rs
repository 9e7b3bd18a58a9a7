//! The signed envelope: `{"signed":{…},"signatures":[{"keyid","method","sig"}]}`.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use super::b64;

/// One signature over the canonical form of `signed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// The TUF key ID of the signing key.
    pub keyid: String,
    /// The signature method, lower-cased as notary does on parse.
    pub method: String,
    /// The signature bytes (standard base64 on the wire).
    #[serde(serialize_with = "b64::serialize")]
    pub sig: Vec<u8>,
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Repr {
            keyid: String,
            method: String,
            #[serde(deserialize_with = "b64::deserialize")]
            sig: Vec<u8>,
        }
        let r = Repr::deserialize(d)?;
        Ok(Signature { keyid: r.keyid, method: r.method.to_ascii_lowercase(), sig: r.sig })
    }
}

/// A metadata file split into its `signed` bytes (as received) and its signatures.
/// Unknown top-level fields are refused: they would be unsigned data riding along.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope<'a> {
    /// The `signed` value exactly as it appears in the file.
    #[serde(borrow)]
    pub signed: &'a RawValue,
    /// The signatures.
    pub signatures: Vec<Signature>,
}

impl<'a> Envelope<'a> {
    /// Splits a metadata file. The bytes must be UTF-8 JSON.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// Writes an envelope the way Go's encoding/json does: compact, `signed` first,
/// with `<`, `>`, `&`, U+2028 and U+2029 inside strings escaped as `\u00XX`.
pub fn write_envelope(signed_canonical: &[u8], signatures: &[Signature]) -> Vec<u8> {
    let mut out = Vec::with_capacity(signed_canonical.len() + 64 + 160 * signatures.len());
    out.extend_from_slice(b"{\"signed\":");
    html_escape_into(signed_canonical, &mut out);
    out.extend_from_slice(b",\"signatures\":");
    // Signature fields are plain ASCII strings; serde_json writes them compact.
    out.extend_from_slice(&serde_json::to_vec(signatures).unwrap_or_else(|_| b"[]".to_vec()));
    out.push(b'}');
    out
}

fn html_escape_into(json: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < json.len() {
        let b = json[i];
        match b {
            b'<' | b'>' | b'&' => out.extend_from_slice(format!("\\u00{b:02x}").as_bytes()),
            0xE2 if json.get(i + 1) == Some(&0x80) && matches!(json.get(i + 2), Some(0xA8 | 0xA9)) => {
                out.extend_from_slice(if json[i + 2] == 0xA8 { b"\\u2028" } else { b"\\u2029" });
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_lowercases_method() {
        let file = br#"{"signed":{"a":1},"signatures":[{"keyid":"ab","method":"ECDSA","sig":"AAEC"}]}"#;
        let env = Envelope::parse(file).unwrap();
        assert_eq!(env.signed.get(), r#"{"a":1}"#);
        assert_eq!(env.signatures[0].method, "ecdsa");
        assert_eq!(env.signatures[0].sig, vec![0, 1, 2]);
    }

    #[test]
    fn refuses_unknown_top_level_fields() {
        assert!(Envelope::parse(br#"{"signed":{},"signatures":[],"extra":1}"#).is_err());
    }

    #[test]
    fn writes_like_go() {
        let sig = Signature { keyid: "ab".into(), method: "ecdsa".into(), sig: vec![0, 1, 2] };
        let out = write_envelope(br#"{"n":"a<b"}"#, &[sig]);
        assert_eq!(out, br#"{"signed":{"n":"a\u003cb"},"signatures":[{"keyid":"ab","method":"ecdsa","sig":"AAEC"}]}"#);
    }
}
