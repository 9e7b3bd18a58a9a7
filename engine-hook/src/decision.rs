//! The decision: a function of the request, the policy and what verification and the
//! engine say, with no other input. Everything the hook denies, it denies here.
//!
//! - Pulls (`/images/create?fromImage=`) are allowed when the reference is signed under
//!   the policy: a tag resolves as `docker pull` resolved it (`targets/releases`, then
//!   `targets`); a digest must be one a signed tag of the repository points to; both
//!   must agree when both are given. The scope's signers must hold the release.
//! - Container creates are allowed when one of the local image's `RepoDigests` for the
//!   named repository is a signed digest, so an image that was loaded, imported, built,
//!   committed or retagged is refused. An image ID is refused. An image the engine does
//!   not have is allowed: the engine answers 404, and the client pulls it (through the
//!   hook) and tries again.
//! - Load, import, build, plugin pulls, services, tag, commit and pulls of every tag are
//!   each allowed or denied by the policy (services may be verified by their image).
//! - Anything else is allowed. A request that cannot be read, or a verification that
//!   fails, is denied (fail closed). Permissive mode turns every deny into a logged
//!   "would deny"; disabled mode allows everything without verifying.

use serde::Serialize;
use trust_core::ErrorKind;
use trust_core::pinning::Pin;
use trust_core::reference::Reference;

use crate::authz::{AuthZRequest, AuthZResponse};
use crate::engine::{ImageInfo, ImageInspector};
use crate::pinning::pin_for;
use crate::policy::{Choice, Mode, Operation, Policy, ScopeRef};
use crate::request::{Action, classify};
use crate::verify::{Failure, Query, Release, Verification, Verifier};

/// Prefix of the message a user sees on a deny.
pub const MSG_PREFIX: &str = "content trust: ";

/// The outcome for the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Allowed.
    Allow,
    /// Denied.
    Deny,
    /// Allowed in permissive mode, but enforced mode would deny it.
    WouldDeny,
}

impl Verdict {
    /// `allow`, `deny` or `would-deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::WouldDeny => "would-deny",
        }
    }
}

/// A decision and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Allow, deny or would-deny.
    pub verdict: Verdict,
    /// Why, in words.
    pub reason: String,
    /// `pull`, `create`, an operation key (`load`, `build`, …), or `other`.
    pub operation: String,
    /// The image the request is about.
    pub image: Option<String>,
    /// The signed digest the decision rests on, `sha256:<hex>`.
    pub digest: Option<String>,
    /// The policy scope that applied (its pattern), or `default`.
    pub scope: Option<String>,
    /// Who signed the release the decision rests on (`Repo Admin` when only the
    /// repository's own keys did).
    pub signers: Vec<String>,
    /// Whether every verification came from the decision cache.
    pub cached: bool,
}

impl Decision {
    /// Whether the engine may go on.
    pub fn allowed(&self) -> bool {
        self.verdict != Verdict::Deny
    }

    /// The AuthZ answer.
    pub fn response(&self) -> AuthZResponse {
        let msg = match self.verdict {
            Verdict::Allow => String::new(),
            Verdict::Deny => format!("{MSG_PREFIX}{}", self.reason),
            Verdict::WouldDeny => format!("{MSG_PREFIX}permissive mode: would deny: {}", self.reason),
        };
        AuthZResponse { allow: self.allowed(), msg, err: String::new() }
    }
}

/// What a check found, before the mode is applied.
#[derive(Debug, Clone, Default)]
struct Check {
    ok: bool,
    reason: String,
    digest: Option<String>,
    scope: Option<String>,
    signers: Vec<String>,
    cached: bool,
}

impl Check {
    fn fail(reason: impl Into<String>) -> Check {
        Check { ok: false, reason: reason.into(), ..Check::default() }
    }

    fn pass(reason: impl Into<String>) -> Check {
        Check { ok: true, reason: reason.into(), ..Check::default() }
    }
}

/// What a decision may consult besides the request and the policy.
#[derive(Clone, Copy)]
pub struct Facts<'a> {
    /// Trust data.
    pub verifier: &'a dyn Verifier,
    /// The engine's local images.
    pub engine: &'a dyn ImageInspector,
}

/// Decides on an AuthZ request.
pub fn decide(req: &AuthZRequest, policy: &Policy, facts: Facts<'_>) -> Decision {
    decide_action(classify(req), policy, facts)
}

/// Decides on a classified request (`Err`: the request could not be read).
pub fn decide_action(action: Result<Action, String>, policy: &Policy, facts: Facts<'_>) -> Decision {
    let (operation, image) = match &action {
        Ok(a) => (a.name().to_owned(), a.image()),
        Err(_) => ("unreadable".to_owned(), None),
    };
    let check = if policy.mode == Mode::Disabled {
        Check::pass("content trust is disabled")
    } else {
        match &action {
            Err(e) => Check::fail(format!("cannot read the request: {e}")),
            Ok(Action::Other) => Check::pass("not an image operation"),
            Ok(Action::Pull { reference }) => check_reference(reference, policy, facts.verifier),
            Ok(Action::CreateContainer { image }) => check_create(image, policy, facts),
            Ok(Action::Gated { op, image, problem }) => {
                check_gated(*op, image.as_deref(), problem.as_deref(), policy, facts)
            }
        }
    };
    finish(check, operation, image, policy.mode)
}

/// Decides on pulling `reference` (what `explain` and the containerd verifier ask).
pub fn decide_pull(reference: &Reference, policy: &Policy, verifier: &dyn Verifier) -> Decision {
    let check = if policy.mode == Mode::Disabled {
        Check::pass("content trust is disabled")
    } else {
        check_reference(reference, policy, verifier)
    };
    finish(check, "pull".into(), Some(reference.to_string()), policy.mode)
}

fn finish(check: Check, operation: String, image: Option<String>, mode: Mode) -> Decision {
    let verdict = match (check.ok, mode) {
        (true, _) | (false, Mode::Disabled) => Verdict::Allow,
        (false, Mode::Enforced) => Verdict::Deny,
        (false, Mode::Permissive) => Verdict::WouldDeny,
    };
    Decision {
        verdict,
        reason: check.reason,
        operation,
        image,
        digest: check.digest,
        scope: check.scope,
        signers: check.signers,
        cached: check.cached,
    }
}

fn scope_name(scope: ScopeRef<'_>) -> String {
    scope.pattern.unwrap_or("default").to_owned()
}

/// Checks that `reference` is signed under the policy.
fn check_reference(reference: &Reference, policy: &Policy, verifier: &dyn Verifier) -> Check {
    let gun = reference.gun();
    let scope = policy.scope_for(&gun);
    let mut check = check_reference_in(reference, &gun, scope, policy, verifier);
    check.scope = Some(scope_name(scope));
    check
}

fn check_reference_in(
    reference: &Reference,
    gun: &str,
    scope: ScopeRef<'_>,
    policy: &Policy,
    verifier: &dyn Verifier,
) -> Check {
    if let Some(d) = reference.digest().filter(|d| !d.starts_with("sha256:")) {
        return Check::fail(format!("{reference}: {d} is not a sha256 digest, which is all trust data records"));
    }
    let pin = pin_for(policy, gun, scope);
    if pin.pin == Pin::Refuse {
        return Check::fail(format!(
            "{gun} is not pinned (content-trust.trust-pinning root-keys, cert-ids or official-library-images) \
             and its scope does not allow trust on first use"
        ));
    }
    let query = Query {
        reference: reference.clone(),
        server: scope.scope.server.clone(),
        pin: pin.pin,
        allow_expired: policy.allow_expired_cached_trust_data,
        bundle: scope.scope.bundle.clone(),
    };
    match verifier.verify(&query) {
        Ok(v) => judge(reference, &v, scope),
        Err(f) => Check::fail(failure_reason(reference, &f)),
    }
}

fn failure_reason(reference: &Reference, f: &Failure) -> String {
    match f.kind {
        ErrorKind::NotSigned => f.message.clone(),
        ErrorKind::Network if f.is_tls() => format!(
            "cannot verify {reference}: TLS/certificate failure with the trust server (its certificate is not \
             trusted, or it does not speak TLS): {}",
            f.message
        ),
        ErrorKind::Network => {
            format!("cannot verify {reference}: the trust server could not be reached: {}", f.message)
        }
        ErrorKind::Verification => format!("trust data for {} failed verification: {}", reference.gun(), f.message),
        _ => format!("cannot verify {reference}: {}", f.message),
    }
}

/// Judges a verification against the reference's digest and the scope's signers.
fn judge(reference: &Reference, v: &Verification, scope: ScopeRef<'_>) -> Check {
    let gun = reference.gun();
    let wanted = reference.digest().and_then(|d| d.strip_prefix("sha256:"));
    let candidates: Vec<&Release> = v.releases.iter().filter(|r| wanted.is_none_or(|w| r.digest_hex == w)).collect();
    let Some(first) = v.releases.first() else {
        return Check::fail(format!("no signed release of {reference}"));
    };
    if candidates.is_empty() {
        return Check::fail(format!(
            "{gun}:{} is signed for sha256:{}, not {}",
            first.tag,
            first.digest_hex,
            reference.digest().unwrap_or_default()
        ));
    }
    let required = &scope.scope.signers;
    let count = |r: &Release| required.iter().filter(|s| r.signers.contains(s)).count();
    let best = candidates.iter().copied().max_by_key(|r| count(r)).unwrap_or(first);
    let signers =
        if best.signers.is_empty() { vec![trust_core::resolve::REPO_ADMIN.to_owned()] } else { best.signers.clone() };
    let mut check = Check {
        ok: false,
        reason: String::new(),
        digest: Some(format!("sha256:{}", best.digest_hex)),
        scope: None,
        signers: signers.clone(),
        cached: v.from_cache,
    };
    let offline = if v.offline { " (from cached trust data: the trust server could not be reached)" } else { "" };
    if required.is_empty() || count(best) >= scope.scope.threshold {
        check.ok = true;
        check.reason =
            format!("{gun}:{} is signed (sha256:{}) by {}{offline}", best.tag, best.digest_hex, signers.join(", "));
    } else {
        check.reason = format!(
            "{gun}:{} (sha256:{}) is signed by {}, but scope {} requires {} of: {}",
            best.tag,
            best.digest_hex,
            signers.join(", "),
            scope.pattern.unwrap_or("default"),
            scope.scope.threshold,
            required.join(", ")
        );
    }
    check
}

/// `POST /containers/create`: the local image must have a signed `RepoDigest` for the
/// repository it is named by.
fn check_create(image: &str, policy: &Policy, facts: Facts<'_>) -> Check {
    let info = match facts.engine.inspect(image) {
        Ok(Some(info)) => info,
        Ok(None) => {
            return Check::pass(format!(
                "{image} is not a local image: the engine refuses the create, and the client pulls it through this hook first"
            ));
        }
        Err(e) => return Check::fail(format!("cannot look {image} up in the engine: {e}")),
    };
    if is_image_id(image, &info) {
        return Check::fail(format!(
            "{image} is an image ID, which has no trust data: run the image by its signed name (repository:tag or @digest)"
        ));
    }
    let reference = match Reference::parse(image) {
        Ok(r) => r,
        Err(e) => return Check::fail(format!("{image}: {e}")),
    };
    let gun = reference.gun();
    let scope = policy.scope_for(&gun);
    let mut digests: Vec<String> = Vec::new();
    for r in info.repo_digests.iter().flatten().filter_map(|d| Reference::parse(d).ok()) {
        if let Some(digest) = r.digest().filter(|d| r.gun() == gun && !digests.iter().any(|x| x == d)) {
            digests.push(digest.to_owned());
        }
    }
    if digests.is_empty() {
        let mut check = Check::fail(format!(
            "{image} has no repository digest from {gun}: it was not pulled from there \
             (loaded, imported, built, committed or tagged locally); pull it by a signed tag"
        ));
        check.scope = Some(scope_name(scope));
        return check;
    }
    let mut first_failure = None;
    let mut all_cached = true;
    for digest in &digests {
        let Ok(by_digest) = Reference::parse(&format!("{gun}@{digest}")) else { continue };
        let mut check = check_reference(&by_digest, policy, facts.verifier);
        all_cached &= check.cached;
        if check.ok {
            check.cached = all_cached;
            check.reason = format!("local image {image}: {}", check.reason);
            return check;
        }
        first_failure.get_or_insert(check);
    }
    let mut check = first_failure.unwrap_or_else(|| Check::fail(format!("{image}: no usable repository digest")));
    check.reason = format!("local image {image}: {}", check.reason);
    check.digest = None;
    check
}

/// Whether the client named the image by its ID (or an ID prefix).
fn is_image_id(typed: &str, info: &ImageInfo) -> bool {
    if typed.starts_with("sha256:") {
        return true;
    }
    let hex = typed;
    let id_hex = info.id.strip_prefix("sha256:").unwrap_or(&info.id);
    !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) && id_hex.starts_with(hex)
}

fn check_gated(op: Operation, image: Option<&str>, problem: Option<&str>, policy: &Policy, facts: Facts<'_>) -> Check {
    match policy.operation(op) {
        Choice::Allow => Check::pass(format!("content-trust.operations.{op} is \"allow\"")),
        Choice::Deny => Check::fail(format!("{}; content-trust.operations.{op} is \"deny\"", why_gated(op))),
        Choice::Verify => match (image, problem) {
            (_, Some(problem)) => Check::fail(format!("cannot verify the service image: {problem}")),
            (Some(image), None) => match Reference::parse(image) {
                Ok(reference) => check_reference(&reference, policy, facts.verifier),
                Err(e) => Check::fail(format!("service image {image}: {e}")),
            },
            (None, None) => Check::fail("the service names no image"),
        },
    }
}

fn why_gated(op: Operation) -> &'static str {
    match op {
        Operation::Load => "docker load brings in images without trust data",
        Operation::Import => "docker import creates images without trust data",
        Operation::Build => "a build's base images and result cannot be verified",
        Operation::PluginPull => "plugin images are not verified",
        Operation::Service => "swarm services pull images on every node",
        Operation::Tag => "docker tag can give an unverified image a trusted name",
        Operation::Commit => "docker commit creates images without trust data",
        Operation::PullAllTags => "pulling every tag brings in unsigned tags too; pull signed tags one at a time",
    }
}
