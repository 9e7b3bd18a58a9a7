//! `trust pull IMAGE[:TAG]`: what `DOCKER_CONTENT_TRUST=1 docker pull` did on the
//! client. The tag is verified first (with a fresh timestamp), and only its signed
//! digest is pulled through the Docker Engine, then tagged as `IMAGE:TAG`; an
//! unsigned tag is refused before the engine is asked for anything.

use crate::client::Verified;
use crate::engine::Progress;
use crate::settings::Settings;
use crate::{Error, Result};
use trust_tuf::reference::Reference;

/// What a pull does, in order, for the caller to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullEvent {
    /// The verified tag is being pulled by its digest (docker printed
    /// `Pull (1 of 1): NAME:TAG@DIGEST`).
    Pulling {
        /// `NAME:TAG`, the name as docker shows it.
        image: String,
        /// The signed digest.
        digest: String,
    },
    /// A progress line of the engine's pull.
    Progress(Progress),
    /// The pulled image is being tagged (docker printed `Tagging NAME@DIGEST as NAME:TAG`).
    Tagging {
        /// `NAME@DIGEST`.
        source: String,
        /// `NAME:TAG`.
        target: String,
    },
}

/// Verifies `image` (tag `latest` when none is given) and pulls its signed digest
/// through the engine of `settings`, then tags it. Returns what was verified (its
/// warnings for the caller to show).
pub fn pull(settings: &Settings, image: &str, report: &mut dyn FnMut(PullEvent)) -> Result<Verified> {
    let reference = super::parse(image)?;
    if reference.digest().is_some() {
        return Err(Error::InvalidInput(format!(
            "{image}: trust pull takes IMAGE[:TAG]; a digest needs no trust data (`docker pull {image}`), \
             and `trust verify IMAGE:TAG@DIGEST` checks that a tag signs it"
        )));
    }
    let tag = reference.tag().unwrap_or("latest").to_owned();
    let tagged = Reference::parse(&format!("{}:{tag}", reference.gun()))?;
    // The engine's endpoint is resolved first: a bad -H or context fails before any request.
    let engine = settings.engine()?;
    let mut fresh = settings.clone();
    fresh.client.max_timestamp_age = std::time::Duration::ZERO;
    let verified = fresh.reader_for(&tagged)?.verify(&tagged)?;
    let name = reference.familiar_name();
    report(PullEvent::Pulling { image: format!("{name}:{tag}"), digest: verified.digest.clone() });
    engine.pull(&name, reference.domain(), &verified.digest, &mut |line| report(PullEvent::Progress(line)))?;
    let source = format!("{name}@{}", verified.digest);
    report(PullEvent::Tagging { source: source.clone(), target: format!("{name}:{tag}") });
    engine.tag(&source, &name, &tag)?;
    Ok(verified)
}
