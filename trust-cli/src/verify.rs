//! `trust verify`: resolve a tag as `docker pull` does and print its verified digest.

use std::io::Write;
use std::process::ExitCode;

use trust_core::reference::Reference;
use trust_core::settings::Settings;

use crate::args::{OutputFormat, VerifyArgs};
use crate::exit::{Code, Failure};

/// Runs `trust verify`.
pub fn run(settings: &Settings, args: &VerifyArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let reference = Reference::parse(&args.image)?;
    let reader = args.source.apply(settings).reader_for(&reference)?;
    let verified = reader.verify(&reference)?;
    let text = match args.output {
        OutputFormat::Text => format!("{}\n", verified.digest),
        OutputFormat::Json => {
            serde_json::to_string_pretty(&verified).map_err(|e| Failure::new(Code::Io, e.to_string()))? + "\n"
        }
    };
    for w in &verified.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(p) = reader.provenance() {
        eprintln!("{p}");
    }
    out.write_all(text.as_bytes()).map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
