//! What went wrong, in words a user can act on: the messages of a registry or
//! notary-server errcode body (`{"errors":[{"code","message","detail"}]}`) and the
//! causes of a transport error, never with a URL (callers name it) or a secret.

use reqwest::StatusCode;
use reqwest::blocking::Response;
use serde::Deserialize;

use super::transfer::Transfer;

/// Longest error body read for its message.
const MAX_ERROR_BODY: u64 = 64 << 10;

/// An error answer's body, for its message; empty when it cannot be read in time.
pub(crate) fn error_body(response: Response, url: &str, transfer: &Transfer) -> Vec<u8> {
    transfer.read_body(response, MAX_ERROR_BODY, "error", url, "the error").unwrap_or_default()
}

#[derive(Deserialize)]
struct ErrcodeBody {
    errors: Vec<ErrcodeEntry>,
}

#[derive(Deserialize)]
struct ErrcodeEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    detail: Option<serde_json::Value>,
}

/// The code of the first error of an errcode body (notary's `VERSION`, the registry's
/// `MANIFEST_UNKNOWN`), empty when the body has none.
pub(crate) fn first_errcode(body: &[u8]) -> String {
    serde_json::from_slice::<ErrcodeBody>(body)
        .ok()
        .and_then(|b| b.errors.into_iter().next())
        .map(|e| e.code)
        .unwrap_or_default()
}

/// The messages of a registry/notary errcode body `{"errors":[{"code","message","detail"}]}`,
/// joined by `; `. A string `detail` is appended; structured details are left out.
pub(crate) fn errcode_message(body: &[u8]) -> Option<String> {
    let parsed: ErrcodeBody = serde_json::from_slice(body).ok()?;
    let messages: Vec<String> = parsed
        .errors
        .iter()
        .map(|e| {
            let text = if e.message.is_empty() { e.code.to_lowercase() } else { e.message.clone() };
            match &e.detail {
                Some(serde_json::Value::String(d)) if !d.is_empty() => format!("{text} ({d})"),
                // notary-server's validation errors: {"Name":"ErrBadTargets","Error":{"Msg":"…"}}.
                Some(detail) => match detail["Error"]["Msg"].as_str().or_else(|| detail["Error"].as_str()) {
                    Some(why) if !why.is_empty() => format!("{text} ({why})"),
                    _ => text,
                },
                None => text,
            }
        })
        .filter(|m| !m.is_empty())
        .map(|m| m.chars().filter(|c| !c.is_control()).take(500).collect())
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

/// `HTTP <status>`, followed by `: <errcode messages>` when `body` has any.
pub(crate) fn status_with_message(status: StatusCode, body: &[u8]) -> String {
    match errcode_message(body) {
        Some(message) => format!("HTTP {status}: {message}"),
        None => format!("HTTP {status}"),
    }
}

/// A reqwest error and its causes, without the URL (callers name it).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut parts = vec![strip_url(e)];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = cause_text(s);
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// One cause of a failed request in words a user can act on: a connection the
/// server closed mid-answer says so (rustls words it as a missing `close_notify`,
/// with a link to its manual), and the TLS library's documentation links are dropped.
fn cause_text(cause: &(dyn std::error::Error + 'static)) -> String {
    if cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof) {
        return "the server closed the connection before it finished answering".into();
    }
    let text = cause.to_string();
    if text.contains("InvalidContentType") {
        // rustls read a plain-HTTP answer as a TLS record.
        return "the server answered in plain HTTP, not TLS (server gave HTTP response to HTTPS client): \
                check the URL's port, or that the server has TLS turned on"
            .into();
    }
    match text.find(": https://docs.rs/") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

fn strip_url(e: &reqwest::Error) -> String {
    let text = e.to_string();
    match e.url() {
        Some(u) => text.replace(&format!(" for url ({u})"), "").replace(&format!(" ({u})"), ""),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_closed_mid_answer_is_said_in_words() {
        let eof = std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "peer closed connection without sending TLS close_notify: https://docs.rs/rustls/latest/rustls/manual/_03_howto/index.html#unexpected-eof",
        );
        assert_eq!(cause_text(&eof), "the server closed the connection before it finished answering");
        let other = std::io::Error::other("invalid peer certificate: UnknownIssuer: https://docs.rs/rustls/x");
        assert_eq!(cause_text(&other), "invalid peer certificate: UnknownIssuer");
        let http = std::io::Error::other("received corrupt message of type InvalidContentType");
        assert!(cause_text(&http).starts_with("the server answered in plain HTTP, not TLS"));
        let plain = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(cause_text(&plain), plain.to_string());
    }

    #[test]
    fn errcode_parsing() {
        assert_eq!(
            errcode_message(br#"{"errors":[{"code":"METADATA_NOT_FOUND"}]}"#).as_deref(),
            Some("metadata_not_found")
        );
        assert_eq!(
            errcode_message(
                br#"{"errors":[{"code":"A","message":"one"},{"code":"B","message":"two","detail":{"x":1}}]}"#
            )
            .as_deref(),
            Some("one; two")
        );
        let refused = br#"{"errors":[{"code":"INVALID_UPDATE","message":"Update sent by the client is invalid.","detail":{"Name":"ErrBadTargets","Error":{"Msg":"valid signatures did not meet threshold for targets/releases"}}}]}"#;
        assert_eq!(
            errcode_message(refused).as_deref(),
            Some(
                "Update sent by the client is invalid. (valid signatures did not meet threshold for targets/releases)"
            )
        );
        assert_eq!(errcode_message(b"not json"), None);
        assert_eq!(errcode_message(br#"{"errors":[]}"#), None);
    }
}
