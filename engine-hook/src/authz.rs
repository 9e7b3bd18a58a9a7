//! The Docker authorization plugin wire format (moby `pkg/authorization/api.go`).
//!
//! JSON keys are the Go field names: note `RequestUri` (not `RequestURI`, which is
//! accepted too), `RequestBody` as base64 (a Go `[]byte`), `RequestHeaders` as a map
//! of canonical header names to values. Go writes nil slices and maps as `null`.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The content type plugins answer with.
pub const CONTENT_TYPE: &str = "application/vnd.docker.plugins.v1.2+json";
/// The handshake path.
pub const ACTIVATE_PATH: &str = "/Plugin.Activate";
/// The request-time authorization path.
pub const AUTHZ_REQ_PATH: &str = "/AuthZPlugin.AuthZReq";
/// The response-time authorization path.
pub const AUTHZ_RES_PATH: &str = "/AuthZPlugin.AuthZRes";

/// `POST /AuthZPlugin.AuthZReq` (and, with response fields the hook ignores, `AuthZRes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthZRequest {
    /// The authenticated user (TLS client-certificate auth only).
    #[serde(rename = "User", default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// How the user authenticated.
    #[serde(rename = "UserAuthNMethod", default, skip_serializing_if = "Option::is_none")]
    pub user_authn_method: Option<String>,
    /// The HTTP method, e.g. `POST`.
    #[serde(rename = "RequestMethod", default)]
    pub method: Option<String>,
    /// The request URI as sent to the engine, e.g. `/v1.41/images/create?fromImage=…`.
    #[serde(rename = "RequestUri", alias = "RequestURI", default)]
    pub uri: Option<String>,
    /// The body, base64; present only for JSON bodies under 1 MiB.
    #[serde(rename = "RequestBody", default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Request headers (the engine strips `Authorization` and `X-Registry-*`).
    #[serde(rename = "RequestHeaders", default)]
    pub headers: Option<BTreeMap<String, String>>,
}

impl AuthZRequest {
    /// The method, or empty.
    pub fn method(&self) -> &str {
        self.method.as_deref().unwrap_or_default()
    }

    /// The URI, or empty.
    pub fn uri(&self) -> &str {
        self.uri.as_deref().unwrap_or_default()
    }

    /// A header by name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.as_ref()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The decoded body: `Ok(None)` when absent or empty, an error when it is not base64.
    pub fn decoded_body(&self) -> Result<Option<Vec<u8>>, String> {
        match self.body.as_deref() {
            None | Some("") => Ok(None),
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map(Some)
                .map_err(|e| format!("the request body is not base64: {e}")),
        }
    }

    /// A request with `body` encoded as the engine encodes it (for tests and `explain`).
    pub fn with_body(mut self, body: &[u8]) -> Self {
        self.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
        self
    }
}

/// The answer to `AuthZReq` and `AuthZRes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthZResponse {
    /// Whether the engine may go on.
    #[serde(rename = "Allow")]
    pub allow: bool,
    /// Shown to the user on a deny: `authorization denied by plugin NAME: MSG`.
    #[serde(rename = "Msg", default)]
    pub msg: String,
    /// A plugin failure (the engine denies and reports it).
    #[serde(rename = "Err", default)]
    pub err: String,
}

/// The answer to `Plugin.Activate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivateResponse {
    /// The plugin interfaces implemented: `["authz"]`.
    #[serde(rename = "Implements")]
    pub implements: Vec<String>,
}

impl ActivateResponse {
    /// An authorization plugin.
    pub fn authz() -> Self {
        ActivateResponse { implements: vec!["authz".into()] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_field_names_and_nulls() {
        let req: AuthZRequest = serde_json::from_str(
            r#"{"User":"","UserAuthNMethod":"","RequestMethod":"POST","RequestUri":"/v1.41/containers/create",
                "RequestBody":"eyJJbWFnZSI6ImEifQ==","RequestHeaders":{"Content-Type":"application/json"},
                "RequestPeerCertificates":null}"#,
        )
        .unwrap();
        assert_eq!(req.uri(), "/v1.41/containers/create");
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.decoded_body().unwrap().unwrap(), br#"{"Image":"a"}"#);
        let nulls: AuthZRequest = serde_json::from_str(r#"{"RequestBody":null,"RequestHeaders":null}"#).unwrap();
        assert_eq!(nulls.decoded_body().unwrap(), None);
        let doc_spelling: AuthZRequest = serde_json::from_str(r#"{"RequestURI":"/_ping"}"#).unwrap();
        assert_eq!(doc_spelling.uri(), "/_ping");
    }

    #[test]
    fn replies() {
        let deny = AuthZResponse { allow: false, msg: "no".into(), err: String::new() };
        assert_eq!(serde_json::to_string(&deny).unwrap(), r#"{"Allow":false,"Msg":"no","Err":""}"#);
        assert_eq!(serde_json::to_string(&ActivateResponse::authz()).unwrap(), r#"{"Implements":["authz"]}"#);
    }
}
