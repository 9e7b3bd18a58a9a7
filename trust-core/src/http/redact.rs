//! URLs as debug output may show them: no userinfo, and no query value that could
//! carry a secret (a token, an upload's state, an account name).

/// Query parameters whose values are shown; every other value is replaced.
const SHOWN: &[&str] = &["scope", "service", "client_id", "digest", "n", "last", "mount", "from", "tag"];

/// What stands in for a value that is not shown.
const HIDDEN: &str = "<redacted>";

/// `url` without its userinfo (`user:password@`) and fragment, each query value but
/// those of `scope`, `service`, `client_id`, `digest`, `n`, `last`, `mount`, `from` and `tag`
/// replaced. Text that is not a URL is shown up to its query.
pub fn url(url: &str) -> String {
    if !url.contains(['@', '?', '#']) {
        return url.to_owned();
    }
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return url.split(['?', '#']).next().unwrap_or_default().to_owned();
    };
    // Setting an empty username or password fails only for URLs that cannot hold them.
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    parsed.set_fragment(None);
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let shown = SHOWN.contains(&k.as_ref());
                (k.into_owned(), if shown { v.into_owned() } else { HIDDEN.to_owned() })
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::url;

    #[test]
    fn userinfo_fragment_and_secret_query_values_are_removed() {
        assert_eq!(
            url(
                "https://alice:s3cret@auth.example.com/token?scope=repository%3Aa%2Fb%3Apull&account=alice&service=reg"
            ),
            "https://auth.example.com/token?scope=repository%3Aa%2Fb%3Apull&account=%3Credacted%3E&service=reg"
        );
        assert_eq!(
            url("https://r.example/v2/a/blobs/uploads/1?_state=SECRETSTATE&digest=sha256%3Aab#frag"),
            "https://r.example/v2/a/blobs/uploads/1?_state=%3Credacted%3E&digest=sha256%3Aab"
        );
        assert_eq!(url("https://token@r.example/x"), "https://r.example/x");
    }

    #[test]
    fn plain_urls_are_unchanged_and_non_urls_lose_their_query() {
        let plain = "https://localhost:4443/v2/localhost:5000/x/_trust/tuf/timestamp.json";
        assert_eq!(url(plain), plain);
        assert_eq!(url("/images/a/json?token=x"), "/images/a/json");
    }
}
