//! `trust audit`: report what repositories' trust data and the local key store use
//! (algorithms, key sizes, certificates, expiries, thresholds, key-file encryption),
//! with a severity and a reference for each finding, in text, JSON, Markdown or SARIF.
//!
//! Repositories are verified without FIPS mode's restrictions and then checked with
//! them, so a repository FIPS mode would refuse is still audited: the roles that would
//! fail are findings. The exit code is 7 when a finding is at or above `--fail-on`.

use std::collections::HashSet;
use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use trust_core::audit::{Audit, AuditOptions, Severity};
use trust_core::fips::FipsMode;
use trust_core::keystore::KeyStore;
use trust_core::output::audit::{Format, render};
use trust_core::reference::Reference;
use trust_core::settings::Settings;
use trust_core::{Error, ErrorKind};

use crate::exit::{Code, Failure};
use crate::progress::{Terminal, count};
use trust_core::progress::{Progress, Stage};

/// Output formats of `trust audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// Tables and findings for people
    Text,
    /// The whole report as JSON
    Json,
    /// Markdown tables
    Markdown,
    /// SARIF 2.1.0 for code-scanning tools
    Sarif,
}

impl From<AuditFormat> for Format {
    fn from(f: AuditFormat) -> Self {
        match f {
            AuditFormat::Text => Format::Text,
            AuditFormat::Json => Format::Json,
            AuditFormat::Markdown => Format::Markdown,
            AuditFormat::Sarif => Format::Sarif,
        }
    }
}

/// The lowest severity that fails `trust audit`, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding
    Info,
    /// Low and above
    Low,
    /// Medium and above
    Medium,
    /// High and above (FIPS problems in FIPS mode, unencrypted keys)
    High,
    /// Critical only (expired or unverifiable trust data)
    Critical,
    /// Never fail on findings
    None,
}

impl FailOn {
    fn severity(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::None => None,
        }
    }
}

/// `trust audit`'s arguments.
#[derive(Debug, Args)]
#[command(override_usage = "trust audit [OPTIONS] <IMAGE>...\n       trust audit [OPTIONS] --keystore [IMAGE]...")]
pub struct AuditArgs {
    /// Also audit the local key store (<trust dir>/private): encryption parameters and permissions
    #[arg(long)]
    pub keystore: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Exit with code 7 when a finding is at or above this severity
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Repositories to audit, at least one unless --keystore is given (a tag, if given, is
    /// ignored: the whole repository is audited)
    #[arg(value_name = "IMAGE", required_unless_present = "keystore")]
    pub images: Vec<String>,
}

/// The failure for a repository that could not be audited, with the CLI's exit codes.
fn describe(image: &str, e: &Error) -> Failure {
    match e.kind() {
        ErrorKind::Verification => {
            Failure::new(Code::Verification, format!("trust data for {image} failed verification: {e}"))
        }
        ErrorKind::Network => Failure::new(Code::Network, format!("cannot get trust data for {image}: {e}")),
        kind => Failure::new(Code::of(kind), format!("{image}: {e}")),
    }
}

/// Runs `trust audit`.
pub fn run(settings: &Settings, args: &AuditArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let references = args.images.iter().map(|i| Ok((i, Reference::parse(i)?))).collect::<Result<Vec<_>, Error>>()?;
    let store = KeyStore::open(&settings.trust_dir())?;
    let local_keys: HashSet<String> = store.list().map(|keys| keys.into_iter().map(|k| k.id).collect())?;
    let options = AuditOptions::new(settings.fips.clone(), chrono::Utc::now(), local_keys);
    let mut audit = Audit::new(options);
    // Verify without FIPS mode's restrictions; the audit checks every role with them.
    let relaxed = Settings { fips: FipsMode { enabled: false, ..settings.fips.clone() }, ..settings.clone() };
    let mut failures = Vec::new();
    let progress = Terminal::new();
    let total = references.len();
    if total > 0 {
        progress.stage(Stage { action: "Auditing", unit: "repositories", total });
    }
    for (image, reference) in references {
        let gun = reference.gun();
        let server = settings.server_for(&reference).unwrap_or_default();
        let audited = relaxed.client_for(&reference).and_then(|client| {
            let mut repo = client.update()?;
            audit.repository(&mut repo);
            Ok(())
        });
        if let Err(e) = audited {
            failures.push(describe(image, &e));
            audit.failed_repository(&gun, &server, &e);
        }
        progress.item(&gun);
    }
    progress.end();
    if args.keystore {
        audit.keystore(&store)?;
    }
    let report = audit.finish();
    out.write_all(render(&report, args.format.into()).as_bytes())
        .map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
    let _ = out.flush();
    progress.finish(&format!(
        "Audited {}{}: {}",
        count(total, "repository", "repositories"),
        if args.keystore { " and the key store" } else { "" },
        count(report.findings.len(), "finding", "findings")
    ));
    if let Some(first) = failures.first() {
        let message = failures.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("\n");
        return Err(Failure::new(first.code, message));
    }
    if let Some(threshold) = args.fail_on.severity().filter(|t| report.fails(*t)) {
        let count = report.findings.iter().filter(|f| f.severity >= threshold).count();
        eprintln!("trust audit: {count} finding(s) at or above {threshold} (--fail-on {threshold})");
        return Ok(Code::AuditFindings.into());
    }
    Ok(ExitCode::SUCCESS)
}
