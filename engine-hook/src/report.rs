//! What `check-policy` and `explain` print.

use serde::Serialize;
use trust_core::pinning::Pin;
use trust_core::reference::Reference;

use crate::decision::Decision;
use crate::pinning::{OFFICIAL_LIBRARY_PATTERN, pin_for};
use crate::policy::{Operation, Policy, Scope};

fn scope_line(scope: &Scope) -> String {
    let signers = if scope.signers.is_empty() {
        "any release (targets/releases or targets)".to_owned()
    } else {
        format!("signed by {} of: {}", scope.threshold, scope.signers.join(", "))
    };
    let tofu = if scope.tofu { "TOFU on" } else { "TOFU off" };
    if let Some(b) = &scope.bundle {
        let expiry = if b.frozen { "expiry as of the export (frozen)" } else { "expiry as of now" };
        return format!("{signers}; bundle {} (no server); {expiry}", b.path.display());
    }
    let server = scope.server.as_deref().unwrap_or("DOCKER_CONTENT_TRUST_SERVER, else the registry's");
    format!("{signers}; server {server}; {tofu}")
}

/// The `check-policy` summary of a valid policy.
pub fn policy_summary(policy: &Policy) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("mode: {}", policy.mode));
    line(format!("allow-expired-cached-trust-data: {}", policy.allow_expired_cached_trust_data));
    line("trust pinning (cert-ids, then root-keys: exact name, then longest prefix*):".into());
    if policy.official_library_images {
        line(format!("  official-library-images: {OFFICIAL_LIBRARY_PATTERN} pinned to Docker's 18 official root keys"));
    }
    for (pattern, ids) in &policy.cert_ids {
        line(format!("  cert-ids {pattern:?}: {}", ids.join(", ")));
    }
    for (pattern, ids) in &policy.root_keys {
        line(format!("  root-keys {pattern:?}: {}", ids.join(", ")));
    }
    if !policy.official_library_images && policy.cert_ids.is_empty() && policy.root_keys.is_empty() {
        line("  (none)".into());
    }
    line("scopes (exact name, then longest prefix*):".into());
    for (pattern, scope) in &policy.scopes {
        line(format!("  {pattern:?}: {}", scope_line(scope)));
    }
    line(format!("  default: {}", scope_line(&Scope::default())));
    line("operations:".into());
    for op in Operation::ALL {
        line(format!("  {}: {}", op.key(), policy.operation(op).as_str()));
    }
    for w in &policy.warnings {
        line(format!("warning: {w}"));
    }
    out
}

/// What `explain` reports.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The image as given.
    pub image: String,
    /// The policy mode.
    pub mode: String,
    /// The repository.
    pub gun: Option<String>,
    /// The matching scope pattern, or `default`.
    pub scope: Option<String>,
    /// Where the root pin comes from.
    pub pinning: Option<String>,
    /// The pinned IDs, `tofu` or `refuse`.
    pub pin: Option<String>,
    /// The scope's trust server setting.
    pub server: Option<String>,
    /// Signers the scope requires.
    pub required_signers: Vec<String>,
    /// How many of them.
    pub threshold: usize,
    /// The decision.
    pub decision: Decision,
    /// Whether the engine would go on.
    pub allowed: bool,
}

fn pin_text(pin: &Pin) -> String {
    match pin {
        Pin::Certs(ids) => ids.join(", "),
        Pin::Ca(path) => format!("CA {}", path.display()),
        Pin::Tofu => "trust on first use".into(),
        Pin::Refuse => "refuse (nothing pins it)".into(),
    }
}

/// Gathers what `explain` shows for `image` under `policy`.
pub fn explain(image: &str, policy: &Policy, decision: Decision) -> Explanation {
    let gun = Reference::parse(image).ok().map(|r| r.gun());
    let (mut scope, mut pinning, mut pin, mut server, mut required, mut threshold) =
        (None, None, None, None, Vec::new(), 0);
    if let Some(gun) = &gun {
        let s = policy.scope_for(gun);
        let p = pin_for(policy, gun, s);
        scope = Some(s.pattern.unwrap_or("default").to_owned());
        pinning = Some(p.source);
        pin = Some(pin_text(&p.pin));
        server =
            Some(s.scope.server.clone().unwrap_or_else(|| "DOCKER_CONTENT_TRUST_SERVER, else the registry's".into()));
        required = s.scope.signers.clone();
        threshold = s.scope.threshold;
    }
    let allowed = decision.allowed();
    Explanation {
        image: image.to_owned(),
        mode: policy.mode.to_string(),
        gun,
        scope,
        pinning,
        pin,
        server,
        required_signers: required,
        threshold,
        decision,
        allowed,
    }
}

/// `explain`'s text form.
pub fn explanation_text(e: &Explanation) -> String {
    let mut rows: Vec<(&str, String)> = vec![("image", e.image.clone()), ("mode", e.mode.clone())];
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    rows.push(("repository", opt(&e.gun)));
    rows.push(("scope", opt(&e.scope)));
    rows.push(("pinning", format!("{} ({})", opt(&e.pin), opt(&e.pinning))));
    rows.push(("server", opt(&e.server)));
    let requires = if e.required_signers.is_empty() {
        "a release in targets/releases or targets".to_owned()
    } else {
        format!("{} of: {}", e.threshold, e.required_signers.join(", "))
    };
    rows.push(("requires", requires));
    rows.push(("operation", e.decision.operation.clone()));
    rows.push(("digest", opt(&e.decision.digest)));
    rows.push(("signers", if e.decision.signers.is_empty() { "-".into() } else { e.decision.signers.join(", ") }));
    rows.push(("verdict", e.decision.verdict.as_str().to_owned()));
    rows.push(("reason", e.decision.reason.clone()));
    rows.iter().map(|(k, v)| format!("{:<12}{v}\n", format!("{k}:"))).collect()
}
