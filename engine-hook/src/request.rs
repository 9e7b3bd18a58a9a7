//! What an engine API request does to images: a pull, a container create, an operation
//! the policy allows or denies as a whole, or nothing the hook cares about.
//!
//! The request is read the way the engine reads it, so that no spelling of a request
//! reaches the engine as an image operation while looking harmless here:
//! - the path is percent-decoded and cleaned (`//`, `.`, `..`), and an API version
//!   prefix (`/v1.41`) is dropped;
//! - query values are the first of each name (Go's `FormValue`); a query Go would
//!   refuse or split differently (`;`, a bad `%` escape) is not accepted;
//! - a form-encoded body (which Go merges into the query values but the engine does
//!   not forward to plugins) is not accepted on the gated endpoints;
//! - JSON body keys match the way Go's `encoding/json` matches struct fields:
//!   case-insensitively, the last duplicate winning.

use serde_json::Value;
use trust_core::reference::Reference;

use crate::authz::AuthZRequest;
use crate::policy::Operation;

/// What a request does, as far as content trust is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Not an image operation (listing, inspecting, starting, …): allowed.
    Other,
    /// `POST /images/create?fromImage=…`: pull one reference.
    Pull {
        /// The reference the engine will pull (tag, digest or both).
        reference: Reference,
    },
    /// `POST /containers/create`: create a container from a local image.
    CreateContainer {
        /// The image as the client named it (a name, a reference or an image ID).
        image: String,
    },
    /// An operation the policy allows, denies, or (for services) verifies by its image.
    Gated {
        /// Which operation.
        op: Operation,
        /// The image or name involved, for logs (and verified for services).
        image: Option<String>,
        /// Why the image could not be read from the request, when it could not.
        problem: Option<String>,
    },
}

impl Action {
    /// A short name for logs: `pull`, `create`, an operation key, or `other`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Other => "other",
            Action::Pull { .. } => "pull",
            Action::CreateContainer { .. } => "create",
            Action::Gated { op, .. } => op.key(),
        }
    }

    /// The image the request is about, for logs.
    pub fn image(&self) -> Option<String> {
        match self {
            Action::Other => None,
            Action::Pull { reference } => Some(reference.to_string()),
            Action::CreateContainer { image } => Some(image.clone()),
            Action::Gated { image, .. } => image.clone(),
        }
    }
}

/// Reads what `req` does. An error means the request cannot be understood safely
/// (and is denied in enforced mode).
pub fn classify(req: &AuthZRequest) -> Result<Action, String> {
    let uri = req.uri();
    if uri.is_empty() {
        return Err("the request has no URI".into());
    }
    let (raw_path, query) = match uri.split_once('?') {
        Some((p, q)) => (p, q),
        None => (uri, ""),
    };
    let path = api_path(raw_path)?;
    if !req.method().eq_ignore_ascii_case("POST") {
        return Ok(Action::Other);
    }
    let gated = gated_endpoint(&path);
    if gated.is_none() {
        return Ok(Action::Other);
    }
    check_query(query)?;
    if req.header("Content-Type").is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("application/x-www-form"))
    {
        return Err(format!("{path}: a form-encoded body can change the query values and is not forwarded to plugins"));
    }
    let q = Query(query);
    match gated {
        Some(Endpoint::ImagesCreate) => images_create(&q),
        Some(Endpoint::ContainersCreate) => {
            let body = json_body(req, &path)?;
            match field(&body, "Image") {
                Some(Value::String(image)) if !image.trim().is_empty() => {
                    Ok(Action::CreateContainer { image: image.clone() })
                }
                Some(Value::String(_)) | None | Some(Value::Null) => Err("containers/create names no Image".into()),
                Some(_) => Err("containers/create: Image is not a string".into()),
            }
        }
        Some(Endpoint::Service) => Ok(service(req, &path, &q)),
        Some(Endpoint::Op(op)) => Ok(Action::Gated { op, image: subject(op, &path, &q), problem: None }),
        None => Ok(Action::Other),
    }
}

/// Endpoints the hook decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    ImagesCreate,
    ContainersCreate,
    Service,
    Op(Operation),
}

fn gated_endpoint(path: &str) -> Option<Endpoint> {
    Some(match path {
        "/images/create" => Endpoint::ImagesCreate,
        "/containers/create" => Endpoint::ContainersCreate,
        "/images/load" => Endpoint::Op(Operation::Load),
        "/images/import" => Endpoint::Op(Operation::Import),
        // BuildKit (`docker buildx build`) talks gRPC through /grpc and /session and
        // loads its results without /build.
        "/build" | "/grpc" | "/session" => Endpoint::Op(Operation::Build),
        "/commit" => Endpoint::Op(Operation::Commit),
        "/plugins/pull" | "/plugins/create" => Endpoint::Op(Operation::PluginPull),
        "/services/create" => Endpoint::Service,
        _ if path.starts_with("/plugins/") && path.ends_with("/upgrade") => Endpoint::Op(Operation::PluginPull),
        _ if path.starts_with("/services/") && path.ends_with("/update") => Endpoint::Service,
        _ if path.starts_with("/images/") && path.ends_with("/tag") && path.len() > "/images//tag".len() => {
            Endpoint::Op(Operation::Tag)
        }
        _ => return None,
    })
}

/// The API path: percent-decoded, cleaned, without a `/vX.Y` prefix.
pub fn api_path(raw: &str) -> Result<String, String> {
    let decoded = percent_decode(raw).ok_or_else(|| format!("{raw:?}: not a valid percent-encoded path"))?;
    let mut segments: Vec<&str> = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    if let Some(first) = segments.first() {
        let is_version =
            first.len() > 1 && first.starts_with('v') && first[1..].bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if is_version {
            segments.remove(0);
        }
    }
    Ok(format!("/{}", segments.join("/")))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            // Two hex digits, as Go's `url.PathUnescape` requires (`from_str_radix`
            // alone would take `%+a` as 0x0a).
            let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit))?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Refuses queries Go parses differently from us, or refuses: `;` separators and bad
/// `%` escapes.
fn check_query(query: &str) -> Result<(), String> {
    if query.contains(';') {
        return Err("the query contains `;`, which engines built with different Go versions read differently".into());
    }
    let b = query.as_bytes();
    for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b'%') {
        let ok = b.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        if !ok {
            return Err("the query has an invalid `%` escape".into());
        }
    }
    Ok(())
}

/// Query values: the first value of a name, `+` and `%XX` decoded (Go's `FormValue`).
struct Query<'a>(&'a str);

impl Query<'_> {
    fn get(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.0.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    fn non_empty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

/// `POST /images/create`: `fromImage` (a pull; wins over `fromSrc`, as in the engine),
/// else an import. `tag` holds a tag or a digest and overrides what `fromImage` has.
fn images_create(q: &Query<'_>) -> Result<Action, String> {
    let Some(from_image) = q.non_empty("fromImage") else {
        let image = q.non_empty("repo").or_else(|| q.non_empty("fromSrc"));
        return Ok(Action::Gated { op: Operation::Import, image, problem: None });
    };
    let base = Reference::parse(&from_image).map_err(|e| format!("fromImage={from_image}: {e}"))?;
    let composed = match q.non_empty("tag") {
        // The engine: a digest in `tag` replaces any tag or digest of fromImage.
        Some(tag) if tag.contains(':') => format!("{}@{tag}", base.gun()),
        // A tag replaces fromImage's tag and keeps its digest.
        Some(tag) => match base.digest() {
            Some(d) => format!("{}:{tag}@{d}", base.gun()),
            None => format!("{}:{tag}", base.gun()),
        },
        None => base.to_string(),
    };
    let reference = Reference::parse(&composed).map_err(|e| format!("{composed}: {e}"))?;
    if reference.tag().is_none() && reference.digest().is_none() {
        return Ok(Action::Gated { op: Operation::PullAllTags, image: Some(reference.gun()), problem: None });
    }
    Ok(Action::Pull { reference })
}

/// `POST /services/create` or `/services/<id>/update`: the image of the container spec.
fn service(req: &AuthZRequest, path: &str, q: &Query<'_>) -> Action {
    let found = if q.non_empty("rollback").is_some() {
        Err("a rollback runs the previous spec, whose image is not in the request".to_string())
    } else {
        json_body(req, path).and_then(|body| {
            let spec = field(&body, "TaskTemplate").and_then(|t| field(t, "ContainerSpec"));
            match spec.and_then(|s| field(s, "Image")) {
                Some(Value::String(image)) if !image.trim().is_empty() => Ok(image.clone()),
                _ => Err("the service spec names no TaskTemplate.ContainerSpec.Image".to_string()),
            }
        })
    };
    match found {
        Ok(image) => Action::Gated { op: Operation::Service, image: Some(image), problem: None },
        Err(problem) => Action::Gated { op: Operation::Service, image: None, problem: Some(problem) },
    }
}

/// What a gated operation is about, for logs.
fn subject(op: Operation, path: &str, q: &Query<'_>) -> Option<String> {
    let repo_tag = |repo: Option<String>, tag: Option<String>| match (repo, tag) {
        (Some(r), Some(t)) => Some(format!("{r}:{t}")),
        (r, _) => r,
    };
    match op {
        Operation::Tag => {
            let source = path.strip_prefix("/images/")?.strip_suffix("/tag")?;
            let target = repo_tag(q.non_empty("repo"), q.non_empty("tag")).unwrap_or_default();
            Some(format!("{source} -> {target}"))
        }
        Operation::Commit => repo_tag(q.non_empty("repo"), q.non_empty("tag")),
        Operation::Build => q.non_empty("t"),
        Operation::PluginPull => q.non_empty("remote").or_else(|| q.non_empty("name")),
        Operation::Import => q.non_empty("repo"),
        _ => None,
    }
}

/// The JSON object of the body. A missing body on an endpoint that needs one is an
/// error: the engine forwards only JSON bodies under 1 MiB, so the hook cannot see it.
fn json_body(req: &AuthZRequest, path: &str) -> Result<Value, String> {
    let body = req.decoded_body()?.ok_or_else(|| {
        format!("{path}: no request body was forwarded (only JSON bodies under 1 MiB are), so it cannot be checked")
    })?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| format!("{path}: the body is not JSON: {e}"))?;
    if !value.is_object() {
        return Err(format!("{path}: the body is not a JSON object"));
    }
    Ok(value)
}

/// A member of a JSON object matched as Go's `encoding/json` matches a struct field
/// (case-insensitively, with its special folds of `ſ` to `s` and `K` to `k`). Two
/// differently spelled matching keys are ambiguous (Go takes the last in document
/// order, which a map does not keep), so they match nothing.
fn field<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    let obj = value.as_object()?;
    let mut matches = obj.iter().filter(|(k, _)| go_fold_eq(k, name));
    let first = matches.next()?;
    if matches.next().is_some() {
        return None;
    }
    Some(first.1)
}

fn go_fold_eq(a: &str, b: &str) -> bool {
    let fold = |c: char| match c {
        '\u{017F}' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    a.chars().map(fold).eq(b.chars().map(fold))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(uri: &str) -> AuthZRequest {
        AuthZRequest { method: Some("POST".into()), uri: Some(uri.into()), ..AuthZRequest::default() }
    }

    fn pull_ref(uri: &str) -> String {
        match classify(&post(uri)) {
            Ok(Action::Pull { reference }) => reference.to_string(),
            other => panic!("{uri}: {other:?}"),
        }
    }

    #[test]
    fn paths_are_decoded_cleaned_and_unversioned() {
        assert_eq!(api_path("/v1.41/images/create").unwrap(), "/images/create");
        assert_eq!(api_path("/images/create").unwrap(), "/images/create");
        assert_eq!(api_path("//v1.41//images/./x/../create").unwrap(), "/images/create");
        assert_eq!(api_path("/v1.41/images%2Fcreate").unwrap(), "/images/create");
        assert_eq!(api_path("/version").unwrap(), "/version");
        assert!(api_path("/images%zzcreate").is_err());
    }

    /// Go refuses `%+a` and `%-a` as escapes; so does the hook (a sign is not a digit).
    #[test]
    fn percent_escapes_are_two_hex_digits() {
        for bad in ["/images%+acreate", "/images%-1create", "/x%+", "/x%4", "/x%"] {
            assert!(api_path(bad).is_err(), "{bad}");
        }
        assert_eq!(api_path("/%69mages/%63reate").unwrap(), "/images/create");
        assert_eq!(api_path("/images%2fcreate").unwrap(), "/images/create");
    }

    #[test]
    fn pull_references_as_the_engine_composes_them() {
        let d = "sha256:896523b5ae4aee6cc4d6b2b8ea6bd0f2bc6e5c6d0a7f3cbd3c5a2b4ec1e8d7f0";
        assert_eq!(pull_ref("/images/create?fromImage=alpine&tag=3"), "docker.io/library/alpine:3");
        assert_eq!(
            pull_ref("/v1.41/images/create?fromImage=127.0.0.1%3A5055%2Ftest%2Fsigned&tag=1"),
            "127.0.0.1:5055/test/signed:1"
        );
        assert_eq!(pull_ref(&format!("/images/create?fromImage=a.io/x&tag={d}")), format!("a.io/x@{d}"));
        assert_eq!(pull_ref("/images/create?fromImage=a.io/x:v1"), "a.io/x:v1");
        assert_eq!(pull_ref("/images/create?fromImage=a.io/x:v1&tag=v2"), "a.io/x:v2");
        assert_eq!(pull_ref(&format!("/images/create?fromImage=a.io/x:v1&tag={d}")), format!("a.io/x@{d}"));
        assert_eq!(pull_ref(&format!("/images/create?fromImage=a.io/x@{d}&tag=v2")), format!("a.io/x:v2@{d}"));
        assert_eq!(pull_ref("/images/create?tag=v3&fromImage=a.io/x&fromImage=evil.io/y"), "a.io/x:v3");
    }

    #[test]
    fn pull_all_tags_import_and_refusals() {
        let all = classify(&post("/images/create?fromImage=a.io/x")).unwrap();
        assert!(matches!(all, Action::Gated { op: Operation::PullAllTags, .. }));
        let import = classify(&post("/images/create?fromSrc=-&repo=a.io/x")).unwrap();
        assert!(matches!(import, Action::Gated { op: Operation::Import, .. }));
        assert!(classify(&post("/images/create?fromImage=a.io/x;tag=1")).is_err());
        assert!(classify(&post("/images/create?fromImage=a.io/x&tag=%zz")).is_err());
        assert!(classify(&post("/images/create?fromImage=a.io/UPPER&tag=1")).is_err());
        let mut form = post("/images/create?fromImage=a.io/x&tag=1");
        form.headers = Some([("Content-Type".to_string(), "application/x-www-form-urlencoded".to_string())].into());
        assert!(classify(&form).is_err());
    }

    #[test]
    fn only_posts_to_gated_endpoints_count() {
        let mut get = post("/images/create?fromImage=a.io/x&tag=1");
        get.method = Some("GET".into());
        assert_eq!(classify(&get).unwrap(), Action::Other);
        assert_eq!(classify(&post("/build/prune")).unwrap(), Action::Other);
        assert_eq!(classify(&post("/images/prune")).unwrap(), Action::Other);
        for buildkit in ["/v1.41/session", "/grpc"] {
            assert!(matches!(classify(&post(buildkit)).unwrap(), Action::Gated { op: Operation::Build, .. }));
        }
        assert!(matches!(classify(&post("/images/a.io/x:v1/tag?repo=a.io/y&tag=v1")).unwrap(),
            Action::Gated { op: Operation::Tag, image: Some(ref s), .. } if s == "a.io/x:v1 -> a.io/y:v1"));
        assert!(matches!(
            classify(&post("/plugins/x/upgrade?remote=y")).unwrap(),
            Action::Gated { op: Operation::PluginPull, .. }
        ));
    }

    #[test]
    fn json_fields_match_like_go() {
        let body = |json: &str| post("/containers/create").with_body(json.as_bytes());
        assert_eq!(classify(&body(r#"{"image":"a"}"#)).unwrap(), Action::CreateContainer { image: "a".into() });
        assert!(classify(&body(r#"{"image":"a","Image":"b"}"#)).is_err(), "ambiguous");
        assert!(classify(&body(r#"{"Cmd":["x"]}"#)).is_err());
        assert!(classify(&post("/containers/create")).is_err(), "no body");
        let svc =
            post("/services/create").with_body(r#"{"TaſkTemplate":{"ContainerSpec":{"Image":"a.io/x:1"}}}"#.as_bytes());
        assert!(matches!(classify(&svc).unwrap(), Action::Gated { image: Some(ref i), .. } if i == "a.io/x:1"));
    }
}
