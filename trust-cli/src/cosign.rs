//! k-of-n signing across machines: `trust sign --partial`, `trust sign
//! --add-signature` and `trust publish REQUEST` (trust-core's `workflow::cosign`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use trust_core::settings::Settings;
use trust_core::signing::TagTarget;
use trust_core::workflow::{RequestSummary, add_signature, publish_request, sign_partial};

use crate::args::SignArgs;
use crate::exit::Failure;
use crate::publishing::{confirm, print_warnings};

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The signing request (`trust sign --partial --out REQUEST`)
    #[arg(value_name = "REQUEST")]
    pub request: PathBuf,
}

/// What the request signs and who signed it.
fn describe(out: &mut dyn Write, s: &RequestSummary) {
    let review = &s.checked.review;
    let _ = writeln!(out, "Signing request for {}:{} ({})", s.gun, s.tag, s.role);
    let _ = writeln!(out, "  tag:      {}", s.tag);
    let _ = writeln!(out, "  digest:   {}", s.digest);
    let _ = writeln!(out, "  size:     {}", s.size);
    let _ = writeln!(out, "  previous: {}", s.previous.as_deref().unwrap_or("new tag"));
    let _ = writeln!(out, "  signed by {} of the {} keys {} needs", review.signed_by.len(), review.threshold, s.role);
}

fn status(out: &mut dyn Write, s: &RequestSummary, request: &Path) {
    let review = &s.checked.review;
    if review.needed() == 0 {
        let _ = writeln!(out, "The threshold is met: publish it with trust publish {}", request.display());
    } else {
        let _ = writeln!(
            out,
            "{} more signature(s) needed, from {}: each runs trust sign --add-signature {}",
            review.needed(),
            s.checked.missing().join(", "),
            request.display()
        );
    }
}

/// Runs `trust sign --partial`.
pub fn partial(
    settings: &Settings,
    target: &TagTarget,
    args: &SignArgs,
    out: &mut dyn Write,
) -> Result<ExitCode, Failure> {
    let Some(path) = &args.out else { return Err(Failure::new(crate::exit::Code::Usage, "--partial needs --out")) };
    let summary = sign_partial(settings, target, args.role.as_deref(), path)?;
    describe(out, &summary);
    let _ = writeln!(out, "Wrote the signing request {} (nothing was published)", path.display());
    status(out, &summary, path);
    Ok(ExitCode::SUCCESS)
}

/// Runs `trust sign --add-signature REQUEST`.
pub fn add(settings: &Settings, request: &Path, yes: bool, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let mut ask = |summary: &RequestSummary| {
        describe(out, summary);
        if yes { Ok(true) } else { confirm("Add this trust directory's signature?", "--yes", out) }
    };
    match add_signature(settings, request, &mut ask)? {
        Some(summary) => {
            let _ = writeln!(out, "Added this trust directory's signature to {}", request.display());
            status(out, &summary, request);
        }
        None => {
            let _ = writeln!(out, "\nAborting action.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `trust publish REQUEST`.
pub fn publish(settings: &Settings, args: &PublishArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let (summary, outcome) = publish_request(settings, &args.request)?;
    print_warnings(&outcome);
    let _ = writeln!(
        out,
        "Successfully signed {}:{} ({}, {} signatures)",
        summary.gun,
        summary.tag,
        summary.role,
        summary.checked.review.signed_by.len()
    );
    Ok(ExitCode::SUCCESS)
}
