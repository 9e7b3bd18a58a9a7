//! Registry manifests and indexes (`trust_core::registry::check_manifest`): media
//! types from the header and the body, schema 1 refused, digests and sizes.
//!
//! Input: a flags byte, a `Content-Type` line, a `Docker-Content-Digest` line (either
//! may be empty: absent), then the body. Flag bit 0 asks for the body's true sha256 as
//! the requested digest, bit 1 for a sha512, so the success path is reached.
//! No panic; when a manifest is accepted, its digest and size are those of the exact
//! bytes, its media type is one trust signs, and any digest asked for matches.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ring::digest::{SHA256, SHA512, digest};
use trust_core::registry::{MAX_MANIFEST_SIZE, MEDIA_TYPES, check_manifest};
use trust_fuzz::first_line;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, data)) = data.split_first() else {
        return;
    };
    let (content_type, rest) = first_line(data);
    let (declared, body) = first_line(rest);
    let (Ok(content_type), Ok(declared)) = (std::str::from_utf8(content_type), std::str::from_utf8(declared)) else {
        return;
    };
    let content_type = Some(content_type).filter(|s| !s.is_empty());
    let declared = Some(declared).filter(|s| !s.is_empty());
    let sha256 = format!("sha256:{}", hex::encode(digest(&SHA256, body)));
    let requested = match flags & 3 {
        1 => Some(sha256.clone()),
        2 => Some(format!("sha512:{}", hex::encode(digest(&SHA512, body)))),
        3 => declared.map(str::to_owned),
        _ => None,
    };
    let Ok(m) = check_manifest("localhost:5000/fuzz/app:v1", requested.as_deref(), content_type, declared, body) else {
        return;
    };
    assert_eq!(m.digest, sha256, "the digest is not that of the bytes");
    assert_eq!(m.size, body.len() as u64);
    assert!(m.size <= MAX_MANIFEST_SIZE);
    assert!(MEDIA_TYPES.contains(&m.media_type.as_str()), "signed media type {:?}", m.media_type);
    for want in [requested.as_deref(), declared.map(str::trim)].into_iter().flatten().filter(|d| !d.is_empty()) {
        let (alg, hex) = want.split_once(':').expect("accepted a digest without an algorithm");
        let got = match alg {
            "sha256" => hex::encode(digest(&SHA256, body)),
            "sha512" => hex::encode(digest(&SHA512, body)),
            "sha384" => hex::encode(digest(&ring::digest::SHA384, body)),
            other => panic!("accepted digest algorithm {other:?}"),
        };
        assert_eq!(hex, got, "accepted a digest the body does not hash to");
    }
    // Schema 1 is never signed.
    let head: Result<serde_json::Value, _> = serde_json::from_slice(body);
    if let Ok(v) = head {
        assert_ne!(v.get("schemaVersion").and_then(|s| s.as_u64()), Some(1), "signed a schema 1 manifest");
    }
});
