//! Properties of the pure functions that read untrusted bytes, stated as invariants
//! over generated inputs (proptest, 256 cases each): canonical JSON, key IDs,
//! delegation path matching and image references. The fuzz targets in `fuzz/` check
//! the same parsers against arbitrary bytes; these state what they must compute.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use chrono::{TimeDelta, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};
use trust_core::canonical;
use trust_core::crypto::keyid::canonical_key_id;
use trust_core::crypto::signer::{KeyAlgorithm, PrivateKey};
use trust_core::crypto::x509::make_root_certificate;
use trust_core::reference::{Reference, check_gun};
use trust_core::resolve::{self, TargetsSource};
use trust_core::trusted::Limits;
use trust_core::wire::{DelegatedRole, Delegations, Expiry, FileMeta, KeyType, PublicKey, TargetMap, Targets};

// ---------------------------------------------------------------- canonical JSON

/// Strings with what makes escaping interesting: quotes, backslashes, control
/// characters, `<>&`, non-ASCII, U+2028.
fn json_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('"'),
            Just('\\'),
            Just('\n'),
            Just('\u{1}'),
            Just('<'),
            Just('é'),
            Just('\u{2028}'),
            Just('😀'),
            proptest::char::range('a', 'e'),
            any::<char>(),
        ],
        0..8,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((json_string(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn has_control_character(value: &Value) -> bool {
    let control = |s: &str| s.chars().any(|c| c < ' ');
    match value {
        Value::String(s) => control(s),
        Value::Array(items) => items.iter().any(has_control_character),
        Value::Object(map) => map.iter().any(|(k, v)| control(k) || has_control_character(v)),
        _ => false,
    }
}

/// What `is_canonical` leaves to the slow path by design: integers of more than 17
/// digits (the fast path stays well inside `i64`) and keys with escapes (they sort
/// differently once decoded).
fn fast_path_declines(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.to_string().trim_start_matches('-').len() > 17,
        Value::Array(items) => items.iter().any(fast_path_declines),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains(['"', '\\']) || fast_path_declines(v)),
        _ => false,
    }
}

/// `value` as JSON text with object members in the order `shuffle` picks and
/// whitespace between tokens: another spelling of the same value.
fn respell(value: &Value, shuffle: &mut impl FnMut(usize) -> usize) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|v| respell(v, shuffle)).collect();
            format!("[ {} ]", items.join(" , "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            for i in (1..entries.len()).rev() {
                entries.swap(i, shuffle(i + 1));
            }
            let members: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{} :\n{}", serde_json::to_string(k).unwrap(), respell(v, shuffle)))
                .collect();
            format!("{{ {} }}", members.join(",\t"))
        }
        other => serde_json::to_string(other).unwrap(),
    }
}

/// A string as canonical JSON writes it: only `"` and `\` escaped.
fn canonical_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

proptest! {
    /// Strings: only `"` and `\` are escaped, everything else is written raw.
    #[test]
    fn canonical_escapes_only_quote_and_backslash(s in json_string()) {
        let bytes = canonical::to_vec(&Value::String(s.clone())).unwrap();
        prop_assert_eq!(String::from_utf8(bytes).unwrap(), canonical_string(&s));
    }

    /// Objects: members sorted by the UTF-8 bytes of their keys (Go's string order,
    /// not UTF-16 order: U+FFFD sorts before U+1F600 here), no whitespace.
    #[test]
    fn canonical_sorts_keys_by_bytes(entries in proptest::collection::btree_map(json_string(), any::<i64>(), 0..8)) {
        let value = Value::Object(entries.iter().map(|(k, v)| (k.clone(), Value::from(*v))).collect());
        let mut sorted: Vec<(&String, &i64)> = entries.iter().collect();
        sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let members: Vec<String> = sorted.iter().map(|(k, v)| format!("{}:{v}", canonical_string(k))).collect();
        let expected = format!("{{{}}}", members.join(","));
        prop_assert_eq!(String::from_utf8(canonical::to_vec(&value).unwrap()).unwrap(), expected);
    }

    /// Any spelling of a value (member order, whitespace, escapes) canonicalises to
    /// the same bytes as the value itself.
    #[test]
    fn canonical_form_ignores_spelling(value in json_value(), seed in any::<u64>()) {
        let mut state = seed;
        let mut shuffle = |n: usize| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        let text = respell(&value, &mut shuffle);
        let expected = canonical::to_vec(&value).unwrap();
        let canonical = canonical::canonicalize(text.as_bytes()).unwrap();
        prop_assert_eq!(canonical.as_ref(), expected.as_slice());
    }

    /// Idempotent: canonicalising the canonical form of JSON gives the same bytes,
    /// which parse back to the same value; and the fast path recognises them (and
    /// returns them without a copy) unless an integer has more than 17 digits or a key
    /// holds `"` or `\`, which it leaves to the slow path. (With a control character
    /// in a string the canonical form is not JSON: Go's canonical form writes it raw;
    /// such bytes are only signed, never parsed.)
    #[test]
    fn canonical_form_is_a_fixed_point(value in json_value()) {
        prop_assume!(!has_control_character(&value));
        let bytes = canonical::to_vec(&value).unwrap();
        let again = canonical::canonicalize(&bytes).unwrap();
        prop_assert_eq!(again.as_ref(), bytes.as_slice());
        if !fast_path_declines(&value) {
            prop_assert!(canonical::is_canonical(&bytes));
            prop_assert!(matches!(again, std::borrow::Cow::Borrowed(_)));
        }
        prop_assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), value);
    }
}

// ------------------------------------------------------------------------ key IDs

/// Two notary-style root keys (certificates made as notary makes them), made once.
fn root_keys() -> &'static [(PrivateKey, PublicKey)] {
    static KEYS: OnceLock<Vec<(PrivateKey, PublicKey)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let now = Utc::now();
        (0..2)
            .map(|i| {
                let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
                let cert =
                    make_root_certificate(&key, &format!("example.com/app{i}"), now, now + TimeDelta::days(3650))
                        .unwrap();
                (key, cert)
            })
            .collect()
    })
}

/// The PEM text of `pem` re-wrapped: base64 lines of `width`, `\r\n` or `\n`, with or
/// without the final newline, with text before the block.
fn rewrap(pem: &str, width: usize, crlf: bool, final_newline: bool, preamble: bool) -> String {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    if preamble {
        out.push_str(&format!("subject=CN = example.com/app{eol}"));
    }
    out.push_str(&format!("-----BEGIN CERTIFICATE-----{eol}"));
    for chunk in body.as_bytes().chunks(width) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push_str(eol);
    }
    out.push_str("-----END CERTIFICATE-----");
    if final_newline {
        out.push_str(eol);
    }
    out
}

/// A key's JSON as servers and clients write it: either member order at both
/// levels, any whitespace, `private` null.
fn key_json(keytype: &str, public_b64: &str, swap_outer: bool, swap_inner: bool, space: &str) -> String {
    let keyval = if swap_inner {
        format!(r#"{{{space}"public":{space}"{public_b64}",{space}"private":{space}null}}"#)
    } else {
        format!(r#"{{"private":{space}null,{space}"public":{space}"{public_b64}"{space}}}"#)
    };
    let keytype = format!(r#""keytype":{space}"{keytype}""#);
    let keyval = format!(r#""keyval":{space}{keyval}"#);
    if swap_outer { format!("{{{keyval},{space}{keytype}}}") } else { format!("{{{space}{keytype},{keyval}}}") }
}

proptest! {
    /// The canonical ID of a certificate key names the key pair: it does not change
    /// with how the PEM is wrapped, and equals the ID of the plain key inside.
    #[test]
    fn canonical_key_id_ignores_pem_formatting(
        which in 0usize..2,
        width in prop_oneof![Just(64usize), Just(76), 1usize..120],
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        preamble in any::<bool>(),
    ) {
        let (key, cert) = &root_keys()[which];
        let pem = std::str::from_utf8(&cert.public).unwrap();
        let rewrapped = PublicKey::new(KeyType::EcdsaX509, rewrap(pem, width, crlf, final_newline, preamble).into_bytes());
        let expected = key.public_key().tuf_id();
        prop_assert_eq!(canonical_key_id(cert).unwrap(), expected.clone());
        prop_assert_eq!(canonical_key_id(&rewrapped).unwrap(), expected);
    }

    /// A key's TUF ID does not depend on the JSON it was read from (member order,
    /// whitespace), only on its type and bytes.
    #[test]
    fn tuf_key_id_ignores_json_member_order(
        public in proptest::collection::vec(any::<u8>(), 1..80),
        keytype in prop_oneof![Just("ecdsa"), Just("ed25519"), Just("rsa"), Just("ecdsa-x509")],
        swap_outer in any::<bool>(),
        swap_inner in any::<bool>(),
        space in prop_oneof![Just(""), Just(" "), Just("\n  ")],
    ) {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&public);
        let parsed: PublicKey = serde_json::from_str(&key_json(keytype, &b64, swap_outer, swap_inner, space)).unwrap();
        let built = PublicKey::new(KeyType::parse(keytype), public);
        prop_assert_eq!(parsed.tuf_id(), built.tuf_id());
        let canonical = format!(r#"{{"keytype":"{keytype}","keyval":{{"private":null,"public":"{b64}"}}}}"#);
        prop_assert_eq!(parsed.canonical_json(), canonical.as_bytes());
        if keytype != "ecdsa-x509" {
            prop_assert_eq!(canonical_key_id(&parsed).unwrap(), parsed.tuf_id());
        }
    }
}

// ------------------------------------------------------------ delegation paths

/// Trusted targets data by role, for the resolver.
struct Repo(HashMap<String, Targets>);

impl TargetsSource for Repo {
    type Error = trust_core::Error;

    fn targets(&mut self, role: &str) -> trust_core::Result<Option<&Targets>> {
        Ok(self.0.get(role))
    }

    fn limits(&self) -> Limits {
        Limits::default()
    }
}

fn meta() -> FileMeta {
    FileMeta::for_bytes(b"manifest")
}

fn targets_file(delegate: Option<(&str, &[String])>, holds: Option<&str>) -> Targets {
    let m = meta();
    let roles = delegate
        .map(|(name, paths)| DelegatedRole {
            name: name.to_owned(),
            keyids: vec![],
            threshold: 1,
            paths: paths.to_vec(),
            path_hash_prefixes: vec![],
            terminating: false,
        })
        .into_iter()
        .collect();
    Targets {
        type_: "Targets".into(),
        delegations: Delegations { keys: BTreeMap::new(), roles },
        expires: Expiry::from_time(Utc::now() + TimeDelta::days(1)),
        targets: TargetMap::from_entries(holds.map(|n| (n, &m))),
        version: 1,
    }
}

/// Names and path patterns over a small alphabet, so that prefixes often match.
fn name() -> impl Strategy<Value = String> {
    "[ab/]{0,4}"
}

fn patterns() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[ab/]{0,3}", 0..3)
}

fn prefix_of_one(name: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| name.starts_with(p.as_str()))
}

proptest! {
    /// A delegated role may sign exactly the names one of its paths is a string
    /// prefix of (notary's rule, not globs); docker's `""` means every name.
    #[test]
    fn delegated_paths_are_string_prefixes(target in name(), paths in patterns()) {
        let role = DelegatedRole {
            name: "targets/releases".into(),
            keyids: vec![],
            threshold: 1,
            paths: paths.clone(),
            path_hash_prefixes: vec![],
            terminating: false,
        };
        let hash = [0u8; 32];
        prop_assert_eq!(role.allows(&target, &hash), prefix_of_one(&target, &paths));
        let everything = DelegatedRole { paths: vec![String::new()], ..role };
        prop_assert!(everything.allows(&target, &hash));
    }

    /// Through the resolver: a tag in `targets/releases` is a release exactly when
    /// the delegation's paths allow it; otherwise it is refused, never returned.
    #[test]
    fn releases_resolve_only_within_their_paths(target in name(), paths in patterns()) {
        let mut repo = Repo(HashMap::from([
            ("targets".to_owned(), targets_file(Some(("targets/releases", &paths)), None)),
            ("targets/releases".to_owned(), targets_file(None, Some(&target))),
        ]));
        let allowed = prefix_of_one(&target, &paths);
        match resolve::release(&mut repo, &target) {
            Ok(Some(found)) => {
                prop_assert!(allowed, "{target:?} released outside {paths:?}");
                prop_assert_eq!(found.role, "targets/releases");
            }
            Ok(None) => prop_assert!(false, "{target:?} is held by targets/releases but not found"),
            Err(e) => prop_assert!(!allowed, "{target:?} within {paths:?} refused: {e}"),
        }
        let listed = resolve::all_targets(&mut repo, None).unwrap();
        prop_assert_eq!(listed.iter().any(|f| f.name == target && f.role == "targets/releases"), allowed);
    }

    /// Nested delegations: a child's path counts only when one of its parent's paths
    /// is a prefix of it, so a name is reachable at depth two exactly when
    /// name ⊒ child path ⊒ parent path.
    #[test]
    fn nested_paths_are_restricted_by_the_parent(
        target in name(),
        parent_paths in patterns(),
        child_paths in patterns(),
    ) {
        let mut repo = Repo(HashMap::from([
            ("targets".to_owned(), targets_file(Some(("targets/team", &parent_paths)), None)),
            ("targets/team".to_owned(), targets_file(Some(("targets/team/alice", &child_paths)), None)),
            ("targets/team/alice".to_owned(), targets_file(None, Some(&target))),
        ]));
        let effective: Vec<String> =
            child_paths.iter().filter(|c| prefix_of_one(c, &parent_paths)).cloned().collect();
        let expected = prefix_of_one(&target, &effective);
        let found = resolve::all_targets(&mut repo, Some(&target)).unwrap();
        prop_assert_eq!(found.iter().any(|f| f.role == "targets/team/alice"), expected);
    }
}

// ---------------------------------------------------------------- references

fn domain() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        Just("localhost".to_owned()),
        Just("docker.io".to_owned()),
        Just("index.docker.io".to_owned()),
        "[a-z0-9]{1,8}\\.[a-z]{2,4}(:[0-9]{1,5})?",
        "localhost:[0-9]{1,5}",
        "\\[[0-9a-f]{0,4}:[0-9a-f:]{0,6}\\](:[0-9]{1,4})?",
        "[A-Z][a-z]{0,4}",
    ])
}

fn path() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-z0-9]{1,4}(([._]|__|-+)[a-z0-9]{1,4})?", 1..4).prop_map(|c| c.join("/"))
}

fn tag() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}")
}

fn digest() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        "[0-9a-f]{64}".prop_map(|h| format!("sha256:{h}")),
        "[0-9a-f]{128}".prop_map(|h| format!("sha512:{h}")),
    ])
}

proptest! {
    /// Every well-formed reference parses; its fully qualified form parses back to
    /// the same reference and prints the same; its GUN is `domain/path` and is safe
    /// to use as a directory name.
    #[test]
    fn references_round_trip(domain in domain(), path in path(), tag in tag(), digest in digest()) {
        let mut s = match &domain {
            Some(d) => format!("{d}/{path}"),
            None => path.clone(),
        };
        if let Some(t) = &tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &digest {
            s.push('@');
            s.push_str(d);
        }
        let r = Reference::parse(&s).map_err(|e| TestCaseError::fail(format!("{s:?}: {e}")))?;
        prop_assert_eq!(r.tag(), tag.as_deref());
        prop_assert_eq!(r.digest(), digest.as_deref());
        let printed = r.to_string();
        let again = Reference::parse(&printed).unwrap();
        prop_assert_eq!(
            (again.domain(), again.path(), again.tag(), again.digest()),
            (r.domain(), r.path(), r.tag(), r.digest())
        );
        prop_assert_eq!(again.to_string(), printed);
        prop_assert_eq!(r.gun(), format!("{}/{}", r.domain(), r.path()));
        prop_assert!(check_gun(&r.gun()).is_ok());
        // Docker's normalisation: without a domain (a first component with no `.`,
        // `:` or uppercase, or no `/` at all), or with `docker.io` or
        // `index.docker.io`, it is Docker Hub, where one-component names live under
        // `library/`.
        let first = path.split_once('/').map(|(first, _)| first).filter(|f| f.contains('.'));
        let explicit = domain.as_deref().or(first);
        let hub = explicit.is_none_or(|d| d == "docker.io" || d == "index.docker.io");
        prop_assert_eq!(r.is_docker_hub(), hub);
        prop_assert_eq!(r.domain(), if hub { "docker.io" } else { explicit.unwrap() });
        if hub {
            prop_assert!(r.path().contains('/'), "a Hub path without a namespace: {}", r.path());
        }
    }
}

// ------------------------------------------------------------------ deep nesting

/// 100,000 nested arrays are refused with an error by every parser of untrusted JSON
/// in trust-core that reads them, never by a stack overflow: canonical JSON stops at
/// 64 levels, serde_json at 128. (serde_json skips an ignored value without
/// recursing, so a deep value in a field nobody reads is merely skipped.)
#[test]
fn hostile_nesting_is_an_error() {
    let open = "[".repeat(100_000);
    let closed = format!("{open}{}", "]".repeat(100_000));
    for deep in [&open, &closed] {
        let err = canonical::canonicalize(deep.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("nested deeper than 64 levels"), "{err}");

        let check = |body: String| {
            trust_core::registry::check_manifest("localhost:5000/a/b:v1", None, None, None, body.as_bytes())
        };
        let err = check(format!(r#"{{"schemaVersion":{deep}}}"#)).unwrap_err().to_string();
        assert!(err.contains("the registry's answer is not a manifest"), "{err}");
        let skipped = check(format!(r#"{{"schemaVersion":2,"config":{deep}}}"#));
        assert_eq!(skipped.is_ok(), deep == &closed, "{skipped:?}");

        let map: TargetMap = TargetMap::from_json_text(format!(r#"{{"v1":{deep}}}"#).into_bytes());
        assert!(map.get("v1").is_err());
        assert!(map.entries().is_err());
        assert_eq!(map.get("v2").is_ok(), deep == &closed);

        let key = format!(r#"{{"keytype":{deep},"keyval":{{"public":""}}}}"#);
        let err = serde_json::from_str::<PublicKey>(&key).unwrap_err();
        assert!(err.is_data() || err.is_syntax() || err.to_string().contains("recursion limit"), "{err}");
        let root = format!(r#"{{"signed":{{"x":{deep}}},"signatures":[]}}"#);
        let ctx = trust_core::trusted::Context::new("example.com/app", Utc::now());
        let err = trust_core::trusted::TrustedSet::from_trusted_root(root.into_bytes(), ctx).unwrap_err();
        assert!(err.to_string().starts_with("root: "), "{err}");
    }
}
