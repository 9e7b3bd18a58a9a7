//! `trust bundle update`: replace an installed bundle with a newer one that chains
//! from it (the checks are trust-core's [`trust_core::bundle::update`]).

use std::io::Write;
use std::process::ExitCode;

use trust_core::bundle;
use trust_core::settings::Settings;

use crate::args::BundleUpdateArgs;
use crate::exit::{Code, Failure};

/// Runs `trust bundle update BUNDLE NEW`.
pub fn update(settings: &Settings, args: &BundleUpdateArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let options = settings.client_options()?;
    let report = bundle::update(&args.installed, &args.new, &options, args.frozen)?;
    let mut text = String::new();
    for (gun, from, to) in &report.updated {
        text.push_str(&format!("updated {gun} (root version {from} -> {to})\n"));
    }
    for gun in &report.added {
        text.push_str(&format!("added {gun}: not in the installed bundle, trusted by the new bundle's root pin\n"));
    }
    for gun in &report.kept {
        text.push_str(&format!("kept {gun}: not in the new bundle, kept as installed\n"));
    }
    text.push_str(&format!("{} now holds {}\n", args.installed.display(), args.new.display()));
    out.write_all(text.as_bytes()).map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
