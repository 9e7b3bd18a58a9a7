//! `trust sign --local IMAGE:TAG` (`docker trust sign --local`): push a locally
//! tagged image through the Docker Engine and sign the manifest digest and size the
//! push reports, in one publish.

use crate::engine::Progress;
use crate::settings::Settings;
use crate::signing::{self, Event};
use crate::{Error, Result};

/// What signing a local image does, in order, for the caller to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalEvent {
    /// The local image is being pushed (docker printed `Signing and pushing trust data
    /// for local image IMAGE, may overwrite remote trust data`).
    Pushing {
        /// The image as given.
        image: String,
    },
    /// A progress line of the engine's push.
    Progress(Progress),
    /// What signing reports, as for `trust sign`.
    Signing(Event),
}

/// Pushes `image` (`NAME:TAG`, which the engine must have) and signs the pushed
/// manifest into every role the local keys can sign, as [`signing::sign`] does.
pub fn sign_local(settings: &Settings, image: &str, report: &mut dyn FnMut(LocalEvent)) -> Result<()> {
    let (reference, tag) = signing::parse_tag(image)?;
    let engine = settings.engine()?;
    let name = reference.familiar_name();
    if !engine.has_image(&format!("{name}:{tag}"))? {
        return Err(Error::InvalidInput(format!(
            "No such image: {name}:{tag} in the Docker engine at {}: build or tag it there first \
             (docker tag), or sign what the registry has with `trust sign {image}` (no --local)",
            engine.endpoint().host
        )));
    }
    report(LocalEvent::Pushing { image: image.to_owned() });
    let pushed = engine.push(&name, reference.domain(), &tag, &mut |line| report(LocalEvent::Progress(line)))?;
    if pushed.tag != tag {
        return Err(Error::Network {
            url: format!("Docker engine {}", engine.endpoint().host),
            reason: format!("push {name}:{tag}: the engine reported pushing tag {}, not {tag}", pushed.tag),
        });
    }
    let target = signing::tag_target(image, &pushed.digest, pushed.size)?;
    signing::sign(settings, &[target], &mut |event| report(LocalEvent::Signing(event)))
}
