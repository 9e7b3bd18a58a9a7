//! RFC 7512 PKCS#11 URIs: `pkcs11:token=…;object=…;id=…?module-path=…&pin-source=…`.

use std::fmt;
use std::path::PathBuf;

use crate::{Error, Result};

/// A PKCS#11 URI naming one key on one token, and the module to reach it with.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// The token's label (`token=`).
    pub token: Option<String>,
    /// The key's label (`object=`, `CKA_LABEL`).
    pub object: Option<String>,
    /// The key's ID (`id=`, `CKA_ID`), bytes.
    pub id: Option<Vec<u8>>,
    /// The PKCS#11 module (`module-path=`), loaded at run time.
    pub module_path: PathBuf,
    /// A file holding the PIN (`pin-source=`, a path or a `file:` URI).
    pub pin_source: Option<PathBuf>,
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pkcs11Uri({self})")
    }
}

fn bad(uri: &str, why: &str) -> Error {
    // The URI may carry `pin-value`: never repeat its query in an error.
    let shown = uri.split('?').next().unwrap_or_default();
    Error::InvalidInput(format!(
        "invalid PKCS#11 URI {shown:?}: {why} (expected pkcs11:token=LABEL;object=LABEL?module-path=/path/to/module.so)"
    ))
}

/// RFC 3986 percent-decoding; `%` must be followed by two hex digits.
fn decode(uri: &str, value: &str) -> Result<Vec<u8>> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3).ok_or_else(|| bad(uri, "a % not followed by two hex digits"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad(uri, "a % not followed by two hex digits"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn text(uri: &str, name: &str, value: &str) -> Result<String> {
    String::from_utf8(decode(uri, value)?).map_err(|_| bad(uri, &format!("{name} is not UTF-8")))
}

/// Keeps RFC 7512's path-attribute characters, percent-encodes the rest.
fn encode(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    trust_tuf::percent::encode(&text, |b| {
        trust_tuf::percent::is_unreserved(b)
            || matches!(
                b,
                b':' | b'[' | b']' | b'@' | b'!' | b'$' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b'=' | b'&'
            )
    })
}

impl Pkcs11Uri {
    /// Parses `uri`. `module-path` and one of `object` or `id` are required; `pin-value`
    /// is refused (the URI is recorded in the trust directory and shown in messages).
    pub fn parse(uri: &str) -> Result<Pkcs11Uri> {
        let rest = uri.strip_prefix("pkcs11:").ok_or_else(|| bad(uri, "it does not start with \"pkcs11:\""))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut out = Pkcs11Uri { token: None, object: None, id: None, module_path: PathBuf::new(), pin_source: None };
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = attr.split_once('=').ok_or_else(|| bad(uri, &format!("{attr:?} has no \"=\"")))?;
            match name {
                "token" => out.token = Some(text(uri, name, value)?),
                "object" => out.object = Some(text(uri, name, value)?),
                "id" => out.id = Some(decode(uri, value)?),
                // Other RFC 7512 attributes narrow the search; these keys are found by
                // token, object and id alone.
                "manufacturer"
                | "model"
                | "serial"
                | "library-manufacturer"
                | "library-description"
                | "library-version"
                | "slot-description"
                | "slot-manufacturer"
                | "slot-id"
                | "type" => {}
                other => return Err(bad(uri, &format!("unknown attribute {other:?}"))),
            }
        }
        let mut module = None;
        for attr in query.split('&').filter(|a| !a.is_empty()) {
            let (name, value) = attr.split_once('=').ok_or_else(|| bad(uri, "a query attribute has no \"=\""))?;
            match name {
                "module-path" => module = Some(PathBuf::from(text(uri, name, value)?)),
                "pin-source" => {
                    let source = text(uri, name, value)?;
                    let path = source.strip_prefix("file:").unwrap_or(&source);
                    out.pin_source = Some(PathBuf::from(path));
                }
                "pin-value" => {
                    return Err(bad(
                        uri,
                        "pin-value is not accepted (the URI is recorded and shown): give the PIN in TRUST_PKCS11_PIN, a pin-source file, the keyring or at the prompt",
                    ));
                }
                "module-name" => {}
                other => return Err(bad(uri, &format!("unknown query attribute {other:?}"))),
            }
        }
        out.module_path = module.ok_or_else(|| bad(uri, "module-path is missing"))?;
        if out.object.is_none() && out.id.is_none() {
            return Err(bad(uri, "it names no key: give object= or id="));
        }
        Ok(out)
    }
}

/// The URI in RFC 7512 form (it never holds a PIN).
impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut path = Vec::new();
        if let Some(token) = &self.token {
            path.push(format!("token={}", encode(token.as_bytes())));
        }
        if let Some(object) = &self.object {
            path.push(format!("object={}", encode(object.as_bytes())));
        }
        if let Some(id) = &self.id {
            path.push(format!("id={}", id.iter().map(|b| format!("%{b:02X}")).collect::<String>()));
        }
        write!(f, "pkcs11:{}?module-path={}", path.join(";"), encode(self.module_path.to_string_lossy().as_bytes()))?;
        if let Some(source) = &self.pin_source {
            write!(f, "&pin-source={}", encode(source.to_string_lossy().as_bytes()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_back() {
        let uri = Pkcs11Uri::parse(
            "pkcs11:token=My%20Token;object=alice;id=%01%a2;slot-id=0?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin",
        )
        .unwrap();
        assert_eq!(uri.token.as_deref(), Some("My Token"));
        assert_eq!(uri.object.as_deref(), Some("alice"));
        assert_eq!(uri.id.as_deref(), Some(&[0x01, 0xa2][..]));
        assert_eq!(uri.module_path, PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"));
        assert_eq!(uri.pin_source, Some(PathBuf::from("/run/pin")));
        let shown = uri.to_string();
        assert_eq!(
            shown,
            "pkcs11:token=My%20Token;object=alice;id=%01%A2?module-path=%2Fusr%2Flib%2Fsofthsm%2Flibsofthsm2.so&pin-source=%2Frun%2Fpin"
        );
        assert_eq!(Pkcs11Uri::parse(&shown).unwrap(), uri);
    }

    #[test]
    fn refuses_bad_uris_clearly() {
        for (uri, why) in [
            ("token=a;object=b?module-path=/m.so", "does not start with \"pkcs11:\""),
            ("pkcs11:token=a;object=b", "module-path is missing"),
            ("pkcs11:token=a?module-path=/m.so", "names no key"),
            ("pkcs11:token=a;object=b%2?module-path=/m.so", "a % not followed by two hex digits"),
            ("pkcs11:token=a;colour=b?module-path=/m.so", "unknown attribute \"colour\""),
            ("pkcs11:token;object=b?module-path=/m.so", "has no \"=\""),
            ("pkcs11:object=b%ff?module-path=/m.so", "object is not UTF-8"),
        ] {
            let err = Pkcs11Uri::parse(uri).unwrap_err().to_string();
            assert!(err.contains(why), "{uri}: {err}");
        }
        let err = Pkcs11Uri::parse("pkcs11:object=b?module-path=/m.so&pin-value=123456").unwrap_err().to_string();
        assert!(err.contains("pin-value is not accepted") && !err.contains("123456"), "{err}");
    }
}
