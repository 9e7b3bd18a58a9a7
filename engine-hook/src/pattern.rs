//! Repository (GUN) patterns as Docker EE's `content-trust` uses them: an exact GUN,
//! or a `prefix*` wildcard (a trailing `*` only). The most specific pattern wins: an
//! exact name first, then the longest matching prefix.

/// Whether `pattern` is well formed: non-empty, no whitespace or control characters,
/// and `*` only as its last character.
pub fn check(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("an empty repository pattern".into());
    }
    if pattern.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("repository pattern {pattern:?} contains whitespace or a control character"));
    }
    let body = pattern.strip_suffix('*').unwrap_or(pattern);
    if body.contains('*') {
        return Err(format!("repository pattern {pattern:?}: `*` is allowed only at the end (a prefix wildcard)"));
    }
    Ok(())
}

/// True when `pattern` has a trailing `*`.
pub fn is_wildcard(pattern: &str) -> bool {
    pattern.ends_with('*')
}

/// A hint when `pattern` cannot match a fully qualified GUN: repository names are
/// matched after normalisation (`alpine` is `docker.io/library/alpine`), so a pattern
/// whose first component is not a registry host matches nothing Docker pulls.
pub fn qualification_hint(pattern: &str) -> Option<String> {
    let body = pattern.strip_suffix('*').unwrap_or(pattern);
    if body.is_empty() {
        return None;
    }
    let first = body.split('/').next().unwrap_or_default();
    let has_more = body.contains('/');
    let looks_like_host = first == "localhost" || first.contains(['.', ':']);
    if looks_like_host && (has_more || is_wildcard(pattern)) {
        return None;
    }
    Some(format!(
        "pattern {pattern:?} does not start with a registry host; repository names are fully qualified \
         (e.g. docker.io/library/alpine, registry.example.com/team/app)"
    ))
}

/// The entry of `map` whose pattern matches `gun` most specifically: the exact name,
/// else the longest matching `prefix*` (trust-core's rule, shared with its pinning).
pub use trust_core::pinning::most_specific as best;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn exact_then_longest_prefix() {
        let map: BTreeMap<String, u8> = [
            ("*".to_string(), 0),
            ("registry.example.com/*".to_string(), 1),
            ("registry.example.com/team/*".to_string(), 2),
            ("registry.example.com/team/app".to_string(), 3),
        ]
        .into_iter()
        .collect();
        assert_eq!(best(&map, "registry.example.com/team/app"), Some(("registry.example.com/team/app", &3)));
        assert_eq!(best(&map, "registry.example.com/team/app2"), Some(("registry.example.com/team/*", &2)));
        assert_eq!(best(&map, "registry.example.com/other"), Some(("registry.example.com/*", &1)));
        assert_eq!(best(&map, "docker.io/library/alpine"), Some(("*", &0)));
        let empty: BTreeMap<String, u8> = BTreeMap::new();
        assert_eq!(best(&empty, "x"), None);
    }

    #[test]
    fn pattern_syntax() {
        assert!(check("docker.io/library/*").is_ok());
        assert!(check("*").is_ok());
        assert!(check("a*b").is_err());
        assert!(check("a**").is_err());
        assert!(check("").is_err());
        assert!(check("a b").is_err());
    }

    #[test]
    fn hints_for_unqualified_patterns() {
        assert!(qualification_hint("alpine").is_some());
        assert!(qualification_hint("library/*").is_some());
        assert!(qualification_hint("mydtr/user1/*").is_some());
        assert!(qualification_hint("docker.io/library/*").is_none());
        assert!(qualification_hint("localhost:5000/*").is_none());
        assert!(qualification_hint("registry.example.com*").is_none());
        assert!(qualification_hint("*").is_none());
    }
}
