//! `trust revoke [-y] IMAGE[:TAG]`: remove a tag, or every tag, from each role the
//! local keys can sign.

use std::io::Write;
use std::process::ExitCode;

use trust_core::reference::Reference;
use trust_core::settings::Settings;

use crate::args::RevokeArgs;
use crate::exit::Failure;
use crate::publishing::confirm;

/// Runs `trust revoke`.
pub fn run(settings: &Settings, args: &RevokeArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let reference = Reference::parse(&args.image)?;
    if reference.tag().is_none() && reference.digest().is_none() && !args.yes {
        let question = format!("Please confirm you would like to delete all signature data for {}?", args.image);
        if !confirm(&question, "--yes", out)? {
            // As docker: a "no" is no error.
            let _ = writeln!(out, "\nAborting action.");
            return Ok(ExitCode::SUCCESS);
        }
    }
    crate::sign::revoke(settings, &args.image, out)
}
