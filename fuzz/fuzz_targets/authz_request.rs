//! Docker AuthZ plugin requests (`engine_hook::authz::AuthZRequest`, JSON with a
//! base64 body) through `engine_hook::request::classify`, which reads the URI, the
//! query and the JSON body the way the engine does.
//!
//! No panic on any input, and for every request:
//! - the API path is absolute and clean (no empty, `.` or `..` segment), cleaning it
//!   again changes nothing, and it was decoded only from well-formed `%XX` escapes;
//! - a pull names a reference with a tag or a digest that round-trips;
//! - a container create names a non-blank image;
//! - nothing but a POST is ever an image operation.

#![no_main]

use engine_hook::authz::AuthZRequest;
use engine_hook::request::{Action, api_path, classify};
use libfuzzer_sys::fuzz_target;
use trust_core::reference::Reference;

fn check_path(path: &str) {
    assert!(path.starts_with('/'), "{path:?}");
    if path != "/" {
        assert!(path[1..].split('/').all(|s| !s.is_empty() && s != "." && s != ".."), "{path:?} is not clean");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<AuthZRequest>(data) else {
        return;
    };
    let _ = req.decoded_body();
    let raw_path = req.uri().split_once('?').map_or(req.uri(), |(p, _)| p);
    if let Ok(path) = api_path(raw_path) {
        check_path(&path);
        // Every `%` starts two hex digits, as Go requires.
        let b = raw_path.as_bytes();
        for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b'%') {
            let hex = b.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            assert!(hex, "{raw_path:?}: a bad escape was decoded");
        }
        // Only percent-decoding can change a clean path again; without `%` it is stable.
        if !path.contains('%') {
            let again = api_path(&path).unwrap();
            // A leading version segment is dropped once: `/v1/v2/x` → `/v2/x` → `/x`.
            let versioned = path.split('/').nth(1).is_some_and(|s| s.len() > 1 && s.starts_with('v'));
            if !versioned {
                assert_eq!(again, path, "cleaning {raw_path:?} is not idempotent");
            }
        }
    }
    let Ok(action) = classify(&req) else {
        return;
    };
    let _ = (action.name(), action.image());
    if !req.method().eq_ignore_ascii_case("POST") {
        assert_eq!(action, Action::Other, "a {} request is an image operation", req.method());
    }
    match action {
        Action::Pull { reference } => {
            assert!(reference.tag().is_some() || reference.digest().is_some(), "a pull without tag or digest");
            let again = Reference::parse(&reference.to_string()).expect("a pulled reference does not round-trip");
            assert_eq!(again.to_string(), reference.to_string());
        }
        Action::CreateContainer { image } => assert!(!image.trim().is_empty()),
        _ => {}
    }
});
