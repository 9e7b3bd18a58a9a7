//! `trust revoke [-y] IMAGE[:TAG]`: remove a tag, or every tag, from each role the
//! local keys can sign.

use std::io::Write;
use std::process::ExitCode;

use trust_core::ErrorKind;
use trust_core::publish::{Change, signable_roles};
use trust_core::reference::Reference;
use trust_core::settings::Settings;

use crate::args::RevokeArgs;
use crate::exit::{Code, Failure};
use crate::publishing::{Session, confirm, publish_staged};

/// Runs `trust revoke`.
pub fn run(settings: &Settings, args: &RevokeArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let reference = Reference::parse(&args.image)?;
    if reference.tag().is_none() && reference.digest().is_some() {
        return Err(Failure::new(Code::Usage, "cannot use a digest reference for IMAGE:TAG"));
    }
    if reference.tag().is_none() && !args.yes {
        let question = format!("Confirm you would like to delete all signature data for {}?", args.image);
        if !confirm(&question, out)? {
            return Err(Failure::new(Code::Usage, "trust revoke has been cancelled"));
        }
    }
    let session = Session::open(settings, &reference)?;
    let mut repo = session.current().map_err(|e| match e.kind() {
        ErrorKind::NotSigned => {
            Failure::new(Code::NotSigned, format!("could not remove signature for {}: {e}", args.image))
        }
        _ => e.into(),
    })?;
    let tags: Vec<String> = match reference.tag() {
        Some(tag) => {
            repo.release(tag)
                .map_err(|e| Failure::from(e).prefixed(&format!("could not remove signature for {}", args.image)))?;
            vec![tag.to_owned()]
        }
        None => {
            let mut all: Vec<String> = repo.trust_info(None)?.released.into_iter().map(|r| r.tag).collect();
            all.dedup();
            if all.is_empty() {
                return Err(Failure::new(
                    Code::NotSigned,
                    format!("could not remove signature for {}: no signed tags to remove", args.image),
                ));
            }
            all
        }
    };
    let held = session.keys.held_key_ids()?;
    for tag in &tags {
        for role in signable_roles(&mut repo, &held, tag).map_err(|e| session.explain_keys(e))? {
            session.stage(&Change::remove_target(&role, tag))?;
        }
    }
    drop(repo);
    publish_staged(&session)?;
    let _ = writeln!(out, "Successfully deleted signature for {}", args.image);
    Ok(ExitCode::SUCCESS)
}
