//! What a registry's manifest answer must be before `trust` signs its digest: a schema 2
//! or OCI image manifest or index (schema 1 is refused), at most [`MAX_MANIFEST_SIZE`]
//! bytes, whose sha256 is the digest that was asked for and the `Docker-Content-Digest`
//! the registry declares. The digest and size are those of the exact bytes received.

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::Error;

/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image index (multi-platform image).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// A Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// A Docker manifest list (multi-platform image).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The media types `trust` signs, as sent in `Accept`.
pub const MEDIA_TYPES: [&str; 4] = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST];
/// Largest manifest read: 4 MiB, containerd's limit for manifests it resolves
/// (containerd writes it as `4 * 1048 * 1048`).
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;

/// Docker image manifest schema 1 media types, refused.
const SCHEMA1: [&str; 2] = [
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
];

/// The manifest an image reference names: what `trust sign` signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `sha256:<hex>` of the exact manifest bytes.
    pub digest: String,
    /// The manifest's length in bytes.
    pub size: u64,
    /// One of [`MEDIA_TYPES`].
    pub media_type: String,
}

/// The fields that say what a manifest is.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "schemaVersion")]
    schema_version: Option<u64>,
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    manifests: Option<IgnoredAny>,
    config: Option<IgnoredAny>,
}

/// The `Accept` header of a manifest request.
pub(crate) fn accept_header() -> String {
    MEDIA_TYPES.join(", ")
}

/// Checks a manifest answer for `image` (as asked, e.g. `localhost:5000/a/b:v1`).
/// `requested_digest` is the reference's digest, if it had one; `content_type` and
/// `declared_digest` are the `Content-Type` and `Docker-Content-Digest` headers.
///
/// This is what [`RegistryClient::manifest`](super::RegistryClient::manifest) applies to every
/// answer, public so that callers with their own HTTP client get the same checks
/// (re-exported as [`check_manifest`](super::check_manifest)).
///
/// ```
/// use trust_core::registry::{OCI_MANIFEST, check_manifest};
/// let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
/// let m = check_manifest("localhost:5000/a/b:v1", None, Some(OCI_MANIFEST), None, body)?;
/// assert_eq!((m.size, m.media_type.as_str()), (body.len() as u64, OCI_MANIFEST));
/// # Ok::<(), trust_core::Error>(())
/// ```
pub fn check(
    image: &str,
    requested_digest: Option<&str>,
    content_type: Option<&str>,
    declared_digest: Option<&str>,
    body: &[u8],
) -> Result<Manifest, Error> {
    let role = format!("manifest for {image}");
    let size = body.len() as u64;
    if size > MAX_MANIFEST_SIZE {
        return Err(crate::http::size_limit::too_large(&role, MAX_MANIFEST_SIZE));
    }
    let media_type = media_type(image, content_type, body)?;
    let digest = format!(
        "sha256:{}",
        hex::encode(trust_tuf::crypto::backend::digest::digest(&trust_tuf::crypto::backend::digest::SHA256, body))
    );
    if let Some(want) = requested_digest {
        check_digest(&role, body, want, "the requested digest")?;
    }
    if let Some(declared) = declared_digest.map(str::trim).filter(|d| !d.is_empty()) {
        check_digest(&role, body, declared, "the registry's Docker-Content-Digest")?;
    }
    Ok(Manifest { digest, size, media_type })
}

/// The media type: the `Content-Type` when it is one `trust` signs, else (a generic or
/// missing type) what the body says it is. Schema 1 is refused either way.
fn media_type(image: &str, content_type: Option<&str>, body: &[u8]) -> Result<String, Error> {
    let declared = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|ct| ct.trim().to_ascii_lowercase())
        .filter(|ct| !ct.is_empty());
    let head: Head = serde_json::from_slice(body).map_err(|e| {
        Error::verification(format!("manifest for {image}"), format!("the registry's answer is not a manifest: {e}"))
    })?;
    if head.schema_version == Some(1) || declared.as_deref().is_some_and(|ct| SCHEMA1.contains(&ct)) {
        return Err(Error::InvalidInput(format!(
            "manifest for {image} is a Docker image manifest schema 1 ({}), which docker no longer supports and \
             trust does not sign: push the image again with a current docker (schema 2 or OCI)",
            declared.as_deref().unwrap_or(SCHEMA1[0])
        )));
    }
    if let Some(ct) = declared.as_deref().filter(|ct| MEDIA_TYPES.contains(ct)) {
        return Ok(ct.to_owned());
    }
    let generic = declared.as_deref().is_none_or(|ct| {
        matches!(ct, "application/json" | "application/octet-stream" | "text/plain" | "binary/octet-stream")
    });
    let from_body = match head.media_type.as_deref() {
        Some(mt) if MEDIA_TYPES.contains(&mt) => Some(mt),
        Some(_) => None,
        None if head.schema_version == Some(2) && head.manifests.is_some() => Some(OCI_INDEX),
        None if head.schema_version == Some(2) && head.config.is_some() => Some(OCI_MANIFEST),
        None => None,
    };
    match from_body.filter(|_| generic) {
        Some(mt) => Ok(mt.to_owned()),
        None => {
            let what = declared.or(head.media_type).unwrap_or_else(|| "none".to_owned());
            Err(Error::InvalidInput(format!(
                "manifest for {image} has media type {what}, which is not an image manifest or index trust signs \
                 (it signs {})",
                MEDIA_TYPES.join(", ")
            )))
        }
    }
}

/// Checks that `body` hashes to `digest` (`sha256`, `sha384` or `sha512`).
fn check_digest(role: &str, body: &[u8], digest: &str, what: &str) -> Result<(), Error> {
    let (algorithm, want_hex) = digest.split_once(':').unwrap_or(("", digest));
    let algorithm_ref = match algorithm {
        "sha256" => &trust_tuf::crypto::backend::digest::SHA256,
        "sha384" => &trust_tuf::crypto::backend::digest::SHA384,
        "sha512" => &trust_tuf::crypto::backend::digest::SHA512,
        _ => {
            return Err(Error::verification(role, format!("{what} {digest:?} uses an unsupported digest algorithm")));
        }
    };
    let got = hex::encode(trust_tuf::crypto::backend::digest::digest(algorithm_ref, body));
    if got != want_hex {
        return Err(Error::verification(
            role,
            format!("the manifest received hashes to {algorithm}:{got}, not {what} {digest}; refusing to sign it"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const IMAGE: &str = "localhost:5000/a/b:v1";

    fn sha256(b: &[u8]) -> String {
        format!(
            "sha256:{}",
            hex::encode(trust_tuf::crypto::backend::digest::digest(&trust_tuf::crypto::backend::digest::SHA256, b))
        )
    }

    fn err(r: Result<Manifest, Error>) -> (ErrorKind, String) {
        match r {
            Ok(m) => panic!("expected an error, got {m:?}"),
            Err(e) => (e.kind(), e.to_string()),
        }
    }

    #[test]
    fn each_media_type_by_content_type() -> Result<(), Error> {
        for mt in MEDIA_TYPES {
            let body = format!("{{\"schemaVersion\":2,\"mediaType\":\"{mt}\"}}\n");
            let m = check(IMAGE, None, Some(&format!("{mt}; charset=utf-8")), None, body.as_bytes())?;
            assert_eq!(m, Manifest { digest: sha256(body.as_bytes()), size: body.len() as u64, media_type: mt.into() });
        }
        Ok(())
    }

    #[test]
    fn generic_content_types_use_the_body() -> Result<(), Error> {
        let with_type = format!(r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST_LIST}","manifests":[]}}"#);
        assert_eq!(check(IMAGE, None, None, None, with_type.as_bytes())?.media_type, DOCKER_MANIFEST_LIST);
        let oci_index = br#"{"schemaVersion":2,"manifests":[]}"#;
        assert_eq!(check(IMAGE, None, Some("application/json"), None, oci_index)?.media_type, OCI_INDEX);
        let oci_manifest = br#"{"schemaVersion":2,"config":{},"layers":[]}"#;
        assert_eq!(check(IMAGE, None, Some("application/octet-stream"), None, oci_manifest)?.media_type, OCI_MANIFEST);
        Ok(())
    }

    #[test]
    fn other_media_types_are_refused() {
        let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json"}"#;
        let (kind, msg) = err(check(IMAGE, None, Some("application/vnd.oci.artifact.manifest.v1+json"), None, body));
        assert_eq!(kind, ErrorKind::InvalidInput);
        assert!(msg.contains("has media type application/vnd.oci.artifact.manifest.v1+json"), "{msg}");
        let (kind, msg) = err(check(IMAGE, None, Some("text/html"), None, b"<html>proxy error</html>"));
        assert_eq!(kind, ErrorKind::Verification);
        assert!(
            msg.starts_with("manifest for localhost:5000/a/b:v1: the registry's answer is not a manifest"),
            "{msg}"
        );
    }

    #[test]
    fn schema1_is_refused() {
        let signed = br#"{"schemaVersion":1,"name":"a/b","tag":"v1","signatures":[]}"#;
        for ct in [Some("application/vnd.docker.distribution.manifest.v1+prettyjws"), Some("application/json"), None] {
            let (kind, msg) = err(check(IMAGE, None, ct, None, signed));
            assert_eq!(kind, ErrorKind::InvalidInput);
            assert!(msg.starts_with("manifest for localhost:5000/a/b:v1 is a Docker image manifest schema 1"), "{msg}");
            assert!(msg.contains("push the image again"), "{msg}");
        }
        let body = br#"{"schemaVersion":2}"#;
        let (_, msg) =
            err(check(IMAGE, None, Some("application/vnd.docker.distribution.manifest.v1+json"), None, body));
        assert!(msg.contains("(application/vnd.docker.distribution.manifest.v1+json)"), "{msg}");
    }

    #[test]
    fn digests_must_match() -> Result<(), Error> {
        let body = format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}"}}"#);
        let body = body.as_bytes();
        let good = sha256(body);
        assert_eq!(check(IMAGE, Some(&good), Some(OCI_MANIFEST), Some(&good), body)?.digest, good);
        let sha512 = format!(
            "sha512:{}",
            hex::encode(trust_tuf::crypto::backend::digest::digest(&trust_tuf::crypto::backend::digest::SHA512, body))
        );
        assert_eq!(check(IMAGE, Some(&sha512), Some(OCI_MANIFEST), Some(&sha512), body)?.digest, good);

        let other = sha256(b"something else");
        let (kind, msg) = err(check(IMAGE, None, Some(OCI_MANIFEST), Some(&other), body));
        assert_eq!(kind, ErrorKind::Verification);
        assert!(msg.contains(&format!("hashes to {good}, not the registry's Docker-Content-Digest {other}")), "{msg}");
        let (kind, msg) = err(check(IMAGE, Some(&other), Some(OCI_MANIFEST), None, body));
        assert_eq!(kind, ErrorKind::Verification);
        assert!(msg.contains("not the requested digest"), "{msg}");
        let (kind, _) = err(check(IMAGE, None, Some(OCI_MANIFEST), Some("md5:abcd"), body));
        assert_eq!(kind, ErrorKind::Verification);
        Ok(())
    }

    #[test]
    fn size_limit() -> Result<(), Error> {
        let head = format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","annotations":{{"pad":""#);
        let tail = "\"}}";
        let pad = MAX_MANIFEST_SIZE as usize - head.len() - tail.len();
        let body = format!("{head}{}{tail}", "x".repeat(pad));
        assert_eq!(check(IMAGE, None, Some(OCI_MANIFEST), None, body.as_bytes())?.size, MAX_MANIFEST_SIZE);
        let bigger = format!("{body} ");
        let (kind, msg) = err(check(IMAGE, None, Some(OCI_MANIFEST), None, bigger.as_bytes()));
        assert_eq!(kind, ErrorKind::Verification);
        assert_eq!(msg, "manifest for localhost:5000/a/b:v1: download exceeds the 4194304-byte size limit");
        Ok(())
    }
}
