//! Properties of the engine hook's readers of untrusted input, over generated inputs
//! (proptest, 256 cases each): the API path of an AuthZ request, repository
//! patterns, and deep JSON. `fuzz/` feeds the same code arbitrary bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use engine_hook::authz::AuthZRequest;
use engine_hook::pattern;
use engine_hook::policy::Policy;
use engine_hook::request::{api_path, classify};
use proptest::prelude::*;

/// Path segments: API words, version prefixes, dots, and bytes that need escaping.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("images".to_owned()),
        Just("create".to_owned()),
        Just("containers".to_owned()),
        Just("v1.41".to_owned()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just(String::new()),
        "[a-z0-9:.@_-]{1,6}",
    ]
}

fn raw_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(segment(), 0..6).prop_map(|s| format!("/{}", s.join("/")))
}

/// `%XX` for every byte `pick` selects (upper- or lowercase hex), as a client may
/// escape any byte of a path.
fn escape(path: &str, pick: &[bool]) -> String {
    path.bytes()
        .zip(pick.iter().cycle())
        .map(|(b, &escape)| match (escape, b) {
            (true, b'a'..=b'f') => format!("%{b:02x}"),
            (true, _) => format!("%{b:02X}"),
            (false, _) => char::from(b).to_string(),
        })
        .collect()
}

proptest! {
    /// The cleaned API path is absolute, has no empty, `.` or `..` segment and no
    /// version prefix, whatever the request spelt.
    #[test]
    fn api_paths_are_clean(raw in raw_path()) {
        let path = api_path(&raw).unwrap();
        prop_assert!(path.starts_with('/'));
        let segments: Vec<&str> = path[1..].split('/').collect();
        if path != "/" {
            prop_assert!(segments.iter().all(|s| !s.is_empty() && *s != "." && *s != ".."), "{path}");
        }
        // One version prefix is dropped (a second one would be a path segment).
        if raw.matches("v1.41").count() == 1 {
            prop_assert_ne!(segments[0], "v1.41");
        }
    }

    /// Percent-escaping any bytes of the path, doubling slashes or adding `./` and
    /// `x/..` segments names the same endpoint (the engine decodes and cleans too).
    #[test]
    fn api_paths_ignore_spelling(raw in raw_path(), pick in proptest::collection::vec(any::<bool>(), 1..8)) {
        let clean = api_path(&raw).unwrap();
        prop_assert_eq!(api_path(&escape(&raw, &pick)).unwrap(), clean.clone());
        prop_assert_eq!(api_path(&raw.replace('/', "//")).unwrap(), clean.clone());
        prop_assert_eq!(api_path(&raw.replacen('/', "/./x/../", 1)).unwrap(), clean.clone());
        // And as a request: the same action, escaped or not.
        let request = |uri: String| AuthZRequest {
            method: Some("POST".into()),
            uri: Some(format!("{uri}?fromImage=localhost%3A5000%2Fa&tag=v1")),
            ..AuthZRequest::default()
        };
        prop_assert_eq!(classify(&request(raw.clone())), classify(&request(escape(&raw, &pick))));
    }

    /// A `%` must start two hex digits; anything else is refused, never guessed.
    #[test]
    fn bad_escapes_are_refused(raw in raw_path(), junk in "[g-z+ -]{1,2}|[+-][0-9a-f]") {
        let spelt = format!("{raw}%{junk}");
        prop_assert!(api_path(&spelt).is_err(), "{}", spelt);
    }

    /// The most specific pattern wins: the exact name, else the longest matching
    /// `prefix*`; nothing else matches.
    #[test]
    fn most_specific_pattern_wins(
        patterns in proptest::collection::btree_set("[ab/]{0,3}\\*?", 0..6),
        gun in "[ab/]{1,4}",
    ) {
        let map: BTreeMap<String, usize> = patterns.iter().cloned().enumerate().map(|(i, p)| (p, i)).collect();
        let expected = if map.contains_key(&gun) {
            Some(gun.clone())
        } else {
            map.keys()
                .filter_map(|p| p.strip_suffix('*').filter(|prefix| gun.starts_with(prefix)).map(|_| p.clone()))
                .max_by_key(String::len)
        };
        let chosen = pattern::best(&map, &gun).map(|(p, _)| p.to_owned());
        prop_assert_eq!(chosen, expected);
    }
}

/// 100,000 nested arrays in a policy or a request body are an error, not a stack
/// overflow (serde_json stops at 128 levels).
#[test]
fn hostile_nesting_is_an_error() {
    let deep = "[".repeat(100_000);
    let err = Policy::from_json(format!(r#"{{"mode":"enforced","scopes":{deep}}}"#).as_bytes()).unwrap_err();
    assert!(err.contains("recursion limit exceeded"), "{err}");
    let err = Policy::from_json(deep.as_bytes()).unwrap_err();
    assert!(err.contains("recursion limit exceeded"), "{err}");

    let body = format!(r#"{{"Image":"a","HostConfig":{deep}}}"#);
    let req = AuthZRequest {
        method: Some("POST".into()),
        uri: Some("/v1.41/containers/create".into()),
        ..AuthZRequest::default()
    }
    .with_body(body.as_bytes());
    let err = classify(&req).unwrap_err();
    assert!(err.contains("the body is not JSON") && err.contains("recursion limit exceeded"), "{err}");

    let wire = format!(r#"{{"RequestMethod":"POST","RequestHeaders":{deep}}}"#);
    assert!(serde_json::from_str::<AuthZRequest>(&wire).is_err());
}
