//! `trust timestamp refresh`: re-signs each repository's timestamp over its current
//! snapshot, on stores no server re-signs timestamps on.

use std::io::Write;
use std::process::ExitCode;

use chrono::SecondsFormat;
use trust_core::settings::Settings;
use trust_core::workflow::timestamp_refresh;

use crate::args::TimestampRefreshArgs;
use crate::exit::{Code, Failure};

/// Runs `trust timestamp refresh`: one line per image refreshed; a failure is printed
/// and the next image tried; the exit code is the worst failure's.
pub fn refresh(settings: &Settings, args: &TimestampRefreshArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let mut failed: Vec<(&str, Code)> = Vec::new();
    for image in &args.images {
        match timestamp_refresh(settings, image, args.lifetime) {
            Ok(refreshed) => {
                for w in &refreshed.warnings {
                    eprintln!("warning: {w}");
                }
                let expires = refreshed.expires.to_rfc3339_opts(SecondsFormat::Secs, true);
                writeln!(out, "Refreshed the timestamp of {image}: version {}, expires {expires}", refreshed.version)
                    .map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
            }
            Err(e) => {
                let f = Failure::from(e);
                eprintln!("{image}: {}", f.message);
                failed.push((image, f.code));
            }
        }
    }
    match failed.iter().map(|(_, code)| *code).max() {
        None => Ok(ExitCode::SUCCESS),
        Some(code) => {
            let names: Vec<&str> = failed.iter().map(|(image, _)| *image).collect();
            Err(Failure::new(code, format!("failed to refresh the timestamp of: {}", names.join(", "))))
        }
    }
}
