//! `trust sign IMAGE:TAG...`: sign tags into every role the local keys can sign, as
//! `docker trust sign` does, with the digest and size from the registry (or given).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use trust_core::publish::{Change, signable_roles};
use trust_core::reference::Reference;
use trust_core::resolve::natural_cmp;
use trust_core::settings::Settings;
use trust_core::wire::{FileMeta, Hashes};
use trust_core::{Error, ErrorKind};

use crate::args::SignArgs;
use crate::exit::{Code, Failure};
use crate::publishing::{Session, publish_staged};

/// A tag to sign and what it points to.
struct Signing {
    image: String,
    reference: Reference,
    tag: String,
    meta: FileMeta,
}

/// The target metadata docker signs: the manifest's sha256 and length.
fn target_meta(digest: &str, size: u64) -> Result<FileMeta, Failure> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .ok_or_else(|| {
            Failure::new(Code::Usage, format!("invalid digest {digest}: expected sha256:<64 lowercase hex>"))
        })?;
    let mut sha256 = [0u8; 32];
    hex::decode_to_slice(hex, &mut sha256)
        .map_err(|e| Failure::new(Code::Usage, format!("invalid digest {digest}: {e}")))?;
    Ok(FileMeta { length: size, hashes: Hashes { sha256: Some(sha256), sha512: None }, custom: None })
}

fn parse_tag(image: &str) -> Result<(Reference, String), Failure> {
    let reference = Reference::parse(image).map_err(|e| Failure::from(e).prefixed(image))?;
    match (reference.tag().map(str::to_owned), reference.digest()) {
        (Some(tag), _) => Ok((reference, tag)),
        (None, Some(_)) => Err(Failure::new(Code::Usage, "cannot use a digest reference for IMAGE:TAG")),
        (None, None) => Err(Failure::new(Code::Usage, format!("no tag specified for {image}"))),
    }
}

fn resolve(settings: &Settings, args: &SignArgs) -> Result<Vec<Signing>, Failure> {
    if args.digest.is_some() != args.size.is_some() {
        return Err(Failure::new(Code::Usage, "--digest and --size go together"));
    }
    if args.digest.is_some() && args.images.len() > 1 {
        return Err(Failure::new(Code::Usage, "--digest and --size sign one IMAGE:TAG"));
    }
    let parsed: Vec<(String, Reference, String)> = args
        .images
        .iter()
        .map(|image| parse_tag(image).map(|(reference, tag)| (image.clone(), reference, tag)))
        .collect::<Result<_, _>>()?;
    let metas: Vec<FileMeta> = match (&args.digest, args.size) {
        (Some(digest), Some(size)) => vec![target_meta(digest, size)?],
        _ => manifests(settings, &parsed)?,
    };
    Ok(parsed
        .into_iter()
        .zip(metas)
        .map(|((image, reference, tag), meta)| Signing { image, reference, tag, meta })
        .collect())
}

/// Asks the registry for each tag's manifest digest and size, eight at a time.
fn manifests(settings: &Settings, parsed: &[(String, Reference, String)]) -> Result<Vec<FileMeta>, Failure> {
    const WORKERS: usize = 8;
    let registry = settings.registry_client();
    let per_worker = parsed.len().div_ceil(WORKERS).max(1);
    let lookup = |chunk: &[(String, Reference, String)]| -> Vec<Result<FileMeta, Failure>> {
        chunk
            .iter()
            .map(|(_, reference, _)| {
                let manifest = registry.manifest(reference)?;
                target_meta(&manifest.digest, manifest.size)
            })
            .collect()
    };
    let results: Vec<Result<FileMeta, Failure>> = std::thread::scope(|scope| {
        let workers: Vec<_> = parsed.chunks(per_worker).map(|chunk| scope.spawn(move || lookup(chunk))).collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join().unwrap_or_else(|_| vec![Err(Failure::new(Code::Network, "a registry lookup failed"))])
            })
            .collect()
    });
    results.into_iter().collect()
}

/// Runs `trust sign`.
pub fn run(settings: &Settings, args: &SignArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let signings = resolve(settings, args)?;
    let mut by_repo: BTreeMap<String, Vec<&Signing>> = BTreeMap::new();
    for s in &signings {
        by_repo.entry(s.reference.gun()).or_default().push(s);
    }
    for (gun, tags) in by_repo {
        let session = Session::open(settings, &tags[0].reference)?;
        let mut initialised = false;
        match session.current() {
            Ok(mut repo) => {
                let held = session.keys.held_key_ids()?;
                for s in &tags {
                    let _ = writeln!(out, "Signing and pushing trust metadata for {}", s.image);
                    print_existing(&mut repo, s, out)?;
                    for role in signable_roles(&mut repo, &held, &s.tag).map_err(|e| session.explain_keys(e))? {
                        session.stage(&Change::add_target(&role, &s.tag, &s.meta))?;
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::NotSigned => {
                initialised = true;
                for s in &tags {
                    let _ = writeln!(out, "Signing and pushing trust metadata for {}", s.image);
                    session.stage(&Change::add_target("targets", &s.tag, &s.meta))?;
                }
            }
            Err(e) => return Err(e.into()),
        }
        publish_staged(&session)?;
        if initialised {
            let _ = writeln!(out, "Finished initializing signed repository for {gun}");
        }
        let mut names: Vec<&str> = tags.iter().map(|s| s.tag.as_str()).collect();
        names.sort_by(|a, b| natural_cmp(a, b));
        for tag in names {
            let _ = writeln!(out, "Successfully signed {gun}:{tag}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// docker's "Existing signatures for tag … from:" lines.
fn print_existing(
    repo: &mut trust_core::client::Repository<'_>,
    s: &Signing,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let info = repo.trust_info(Some(&s.tag))?;
    let (tag, digest, mut signers) =
        info.released.into_iter().next().map(|r| (r.tag, r.digest, r.signers)).unwrap_or_default();
    signers.sort();
    let _ = writeln!(out, "Existing signatures for tag {tag} digest {digest} from:\n{}", signers.join(", "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_must_be_sha256() {
        let meta = target_meta(&format!("sha256:{}", "ab".repeat(32)), 7).unwrap();
        assert_eq!((meta.length, meta.hashes.sha256), (7, Some([0xab; 32])));
        for bad in ["sha256:AB", "sha512:ab", &format!("sha256:{}", "AB".repeat(32))] {
            assert_eq!(target_meta(bad, 1).unwrap_err().code, Code::Usage, "{bad}");
        }
    }
}
