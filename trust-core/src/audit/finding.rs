//! One audit finding: a rule, a severity, what it is about and why it matters.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

/// How much a finding matters, from least to most. `--fail-on` compares with this
/// order; SARIF levels are [`Severity::sarif_level`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing to do (SARIF `note`).
    Info,
    /// Worth fixing when convenient, or a FIPS concern outside FIPS mode (SARIF `note`).
    Low,
    /// Should be fixed: a weakness or something about to break (SARIF `warning`).
    Medium,
    /// Must be fixed: not FIPS-conforming in FIPS mode, or a key exposed (SARIF `error`).
    High,
    /// Broken now: expired or unverifiable trust data (SARIF `error`).
    Critical,
}

impl Severity {
    /// Every severity, least first.
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// The lower-case name (`info`, `low`, `medium`, `high`, `critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The SARIF 2.1.0 `level`: `note` (info, low), `warning` (medium), `error` (high,
    /// critical).
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Info | Severity::Low => "note",
            Severity::Medium => "warning",
            Severity::High | Severity::Critical => "error",
        }
    }

    /// The severity of a FIPS-conformance problem: high in FIPS mode, low outside it
    /// (still reported, so a move to FIPS mode holds no surprises).
    pub fn conformance(fips: bool) -> Severity {
        if fips { Severity::High } else { Severity::Low }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown severity {s:?} (info, low, medium, high, critical)"))
    }
}

/// What a finding is about, for tools that place results (SARIF `locations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Location {
    /// Something in a repository's trust data.
    Repository {
        /// The repository (GUN).
        repository: String,
        /// The role, when the finding is about one.
        #[serde(skip_serializing_if = "Option::is_none")]
        role: Option<String>,
        /// The key ID, when the finding is about one key.
        #[serde(skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    /// A local file (a private key).
    File {
        /// The file.
        path: PathBuf,
    },
    /// This machine and this build of `trust` (FIPS mode, crypto module).
    Host,
}

impl Location {
    /// A location in `repository`, optionally narrowed to a role and a key.
    pub fn repository(repository: &str, role: Option<&str>, key: Option<&str>) -> Location {
        Location::Repository {
            repository: repository.to_owned(),
            role: role.map(str::to_owned),
            key: key.map(str::to_owned),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable ID, e.g. `TRUST-FIPS-ALG` ([`super::rules::RULES`]).
    pub id: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// What it is about, e.g. `localhost:5000/app role timestamp key 4782558980f4`.
    pub subject: String,
    /// What was found.
    pub message: String,
    /// The standard or rule that makes it a finding, e.g. `SP 800-132 §5.1`.
    pub reference: String,
    /// What to do about it, when there is something to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Where it is.
    pub location: Location,
}

impl Finding {
    /// A finding of rule `id` with the rule's default reference and no fix.
    pub fn new(id: &'static str, severity: Severity, location: Location, subject: String, message: String) -> Self {
        let reference = super::rules::rule(id).map(|r| r.reference).unwrap_or_default().to_owned();
        Finding { id, severity, subject, message, reference, fix: None, location }
    }

    /// This finding with `reference` in place of the rule's default.
    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = reference.into();
        self
    }

    /// This finding with a fix hint.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_ordered_and_map_to_sarif_levels() {
        assert!(Severity::Info < Severity::Low && Severity::Low < Severity::Medium);
        assert!(Severity::Medium < Severity::High && Severity::High < Severity::Critical);
        let levels: Vec<&str> = Severity::ALL.iter().map(|s| s.sarif_level()).collect();
        assert_eq!(levels, ["note", "note", "warning", "error", "error"]);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
        assert_eq!(Severity::conformance(true), Severity::High);
        assert_eq!(Severity::conformance(false), Severity::Low);
        assert_eq!(serde_json::to_string(&Severity::Medium).unwrap(), "\"medium\"");
    }

    #[test]
    fn findings_take_the_rules_reference() {
        let f = Finding::new(
            super::super::rules::KEYFILE_SALT,
            Severity::High,
            Location::File { path: "/k.key".into() },
            "key".into(),
            "salt".into(),
        );
        assert_eq!(f.reference, "SP 800-132 §5.1");
        assert_eq!(f.fix("trust key migrate").fix.as_deref(), Some("trust key migrate"));
    }
}
