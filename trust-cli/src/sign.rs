//! `trust sign IMAGE:TAG...`: sign tags into every role the local keys can sign, as
//! `docker trust sign` does, with the digest and size from the registry (or given).

use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;

use trust_core::settings::Settings;
use trust_core::signing::{self, Event};

use crate::args::SignArgs;
use crate::exit::{Code, Failure};
use crate::progress::{Terminal, count};

/// docker's lines for what signing did.
pub fn print_event(out: &mut dyn Write, event: Event) {
    let _ = match event {
        Event::Signing { image } => writeln!(out, "Signing and pushing trust metadata for {image}"),
        Event::Existing { tag, digest, signers } => {
            writeln!(out, "Existing signatures for tag {tag} digest {digest} from:\n{}", signers.join(", "))
        }
        Event::Initialized { gun } => writeln!(out, "Finished initializing signed repository for {gun}"),
        Event::Signed { gun, tag } => writeln!(out, "Successfully signed {gun}:{tag}"),
        Event::Revoked { image } => writeln!(out, "Successfully deleted signature for {image}"),
    };
}

/// Runs `trust sign`.
pub fn run(settings: &Settings, args: &SignArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    if args.local {
        return crate::sign_local::run(settings, args, out);
    }
    if let Some(request) = &args.add_signature {
        return crate::cosign::add(settings, request, args.yes, out);
    }
    let progress = Terminal::new();
    if args.partial {
        let [image] = args.images.as_slice() else {
            return Err(Failure::new(Code::Usage, "--partial signs one IMAGE:TAG"));
        };
        let target = match (&args.digest, args.size) {
            (Some(digest), Some(size)) => signing::tag_target(image, digest, size)?,
            _ => signing::tag_targets_from_registry_with(settings, &args.images, &progress)?
                .pop()
                .ok_or_else(|| Failure::new(Code::Usage, format!("nothing to sign for {image}")))?,
        };
        return crate::cosign::partial(settings, &target, args, out);
    }
    let targets = match (&args.digest, args.size) {
        _ if args.digests.is_some() => from_digests_file(args)?,
        (Some(digest), Some(size)) => {
            args.images.iter().map(|image| signing::tag_target(image, digest, size)).collect::<Result<_, _>>()?
        }
        (None, None) => signing::tag_targets_from_registry_with(settings, &args.images, &progress)?,
        _ => return Err(Failure::new(Code::Usage, "--digest and --size go together")),
    };
    signing::sign_with(settings, &targets, &mut |event| progress.above(|| print_event(out, event)), &progress)?;
    let repositories: BTreeSet<String> = targets.iter().map(|t| t.reference.gun()).collect();
    progress.finish(&format!(
        "Signed {} of {}",
        count(targets.len(), "tag", "tags"),
        count(repositories.len(), "repository", "repositories")
    ));
    Ok(ExitCode::SUCCESS)
}

/// The tags of `--digests FILE IMAGE`: the file (or standard input for `-`) read whole.
fn from_digests_file(args: &SignArgs) -> Result<Vec<signing::TagTarget>, Failure> {
    let (Some(path), [image]) = (&args.digests, args.images.as_slice()) else {
        return Err(Failure::new(Code::Usage, "--digests FILE signs the tags of one IMAGE (given without a tag)"));
    };
    let source = path.display().to_string();
    let bytes = if source == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|e| trust_core::Error::io(path, e))?;
        bytes
    } else {
        std::fs::read(path).map_err(|e| trust_core::Error::io(path, e))?
    };
    let text = String::from_utf8(bytes).map_err(|_| Failure::new(Code::Usage, format!("{source}: not UTF-8 text")))?;
    Ok(trust_core::digest_list::tag_targets(image, &text, &source)?)
}

/// Runs `trust revoke` once confirmed.
pub fn revoke(settings: &Settings, image: &str, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    signing::revoke(settings, image, &mut |event| print_event(out, event))?;
    Ok(ExitCode::SUCCESS)
}
