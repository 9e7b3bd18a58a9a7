//! `trust inspect`: the same JSON and `--pretty` tables as `docker trust inspect`.

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use trust_core::output::inspect;
use trust_core::reference::Reference;
use trust_core::resolve::TrustInfo;
use trust_core::settings::Settings;
use trust_core::{Error, ErrorKind};

use crate::args::InspectArgs;
use crate::exit::{Code, Failure};

/// Verified trust information for one image argument, and when its timestamp expires
/// if no server re-signs it.
fn lookup(settings: &Settings, image: &str) -> Result<(TrustInfo, Option<DateTime<Utc>>), Failure> {
    let reference = Reference::parse(image)?;
    let fail = |e: Error| describe(image, e);
    let reader = settings.reader_for(&reference).map_err(fail)?;
    let (info, warnings, expires) = reader.inspect_with_expiry(&reference).map_err(fail)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if let Some(p) = reader.provenance() {
        eprintln!("{p}");
    }
    Ok((info, expires))
}

/// docker's message for a repository without trust data; ours, naming the failure,
/// for anything else.
fn describe(image: &str, e: Error) -> Failure {
    match e.kind() {
        ErrorKind::NotSigned => Failure::new(Code::NotSigned, format!("No signatures or cannot access {image}")),
        ErrorKind::Verification => {
            Failure::new(Code::Verification, format!("trust data for {image} failed verification: {e}"))
        }
        ErrorKind::Network => Failure::new(Code::Network, format!("cannot get trust data for {image}: {e}")),
        kind => Failure::new(Code::of(kind), e.to_string()),
    }
}

fn write_out(out: &mut dyn Write, text: &[u8]) -> Result<(), Failure> {
    out.write_all(text).map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))
}

/// Runs `trust inspect`.
pub fn run(settings: &Settings, args: &InspectArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let settings = &args.source.apply(settings);
    if args.pretty {
        for (i, image) in args.images.iter().enumerate() {
            let (info, expires) = lookup(settings, image)?;
            let mut text = inspect::pretty(image, &info);
            if let Some(at) = expires {
                eprint!("{}", inspect::pretty_timestamp_expiry(image, at));
            }
            if i + 1 < args.images.len() {
                text.push_str("\n\n");
            }
            write_out(out, text.as_bytes())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut repos = Vec::new();
    let mut failures: Vec<Failure> = Vec::new();
    for image in &args.images {
        match lookup(settings, image) {
            Ok((info, _)) => repos.push((image.clone(), info)),
            Err(f) => failures.push(f),
        }
    }
    write_out(out, inspect::json(&repos).as_bytes())?;
    match failures.first() {
        None => Ok(ExitCode::SUCCESS),
        Some(first) => {
            let code = first.code;
            let message = failures.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("\n");
            Err(Failure::new(code, message))
        }
    }
}
