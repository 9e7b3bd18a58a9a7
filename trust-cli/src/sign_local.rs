//! `trust sign --local IMAGE:TAG` (`docker trust sign --local`): push the engine's
//! image, then sign what the push reports, printed as docker printed it.

use std::io::Write;
use std::process::ExitCode;

use trust_core::settings::Settings;
use trust_core::workflow::{self, LocalEvent};

use crate::args::SignArgs;
use crate::exit::{Code, Failure};

/// Runs `trust sign --local`.
pub fn run(settings: &Settings, args: &SignArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let [image] = args.images.as_slice() else {
        return Err(Failure::new(Code::Usage, "--local signs one IMAGE:TAG: give one, or run it once per image"));
    };
    workflow::sign_local(settings, image, &mut |event| {
        match event {
            LocalEvent::Pushing { image } => {
                let _ = writeln!(
                    out,
                    "Signing and pushing trust data for local image {image}, may overwrite remote trust data"
                );
            }
            LocalEvent::Progress(line) => {
                let _ = writeln!(out, "{}", line.0);
            }
            LocalEvent::Signing(event) => crate::sign::print_event(out, event),
        }
        let _ = out.flush();
    })?;
    Ok(ExitCode::SUCCESS)
}
