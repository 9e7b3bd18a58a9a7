//! Signing and revoking tags, as `docker trust sign` and `docker trust revoke` do:
//! each change goes into every role the local keys can sign for the tag, a new
//! repository is initialised with the signer as its first key, and each repository
//! is published in one upload.
//!
//! The CLI and the bindings share these operations; what the CLI prints comes from
//! the [`Event`]s they report.

use std::collections::BTreeMap;

use crate::progress::{NoProgress, Progress, Stage};
use crate::publish::{Change, signable_roles};
use crate::session::Session;
use crate::settings::Settings;
use crate::{Error, ErrorKind, Result};
use trust_tuf::reference::Reference;
use trust_tuf::resolve::natural_cmp;
use trust_tuf::wire::{FileMeta, Hashes};

/// A tag to sign and the manifest it points to.
#[derive(Debug, Clone)]
pub struct TagTarget {
    /// The reference as given (`registry/repo:tag`).
    pub image: String,
    /// The parsed reference.
    pub reference: Reference,
    /// The tag.
    pub tag: String,
    /// The manifest's sha256 and length.
    pub meta: FileMeta,
}

/// What a signing operation did, in order, for the caller to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Signing of `image` started.
    Signing {
        /// The reference as given.
        image: String,
    },
    /// The tag's signatures before this change (empty digest and signers when none).
    Existing {
        /// The tag.
        tag: String,
        /// Its signed digest (hex), or empty.
        digest: String,
        /// Who signed it, sorted.
        signers: Vec<String>,
    },
    /// The repository had no trust data and was initialised.
    Initialized {
        /// The repository.
        gun: String,
    },
    /// The tag was signed and published.
    Signed {
        /// The repository.
        gun: String,
        /// The tag.
        tag: String,
    },
    /// The signatures of `image` (one tag, or all tags) were removed and published.
    Revoked {
        /// The reference as given.
        image: String,
    },
}

/// The target metadata docker signs for a manifest: its sha256 and length.
/// `digest` must be `sha256:` and 64 lowercase hex digits.
pub fn manifest_meta(digest: &str, size: u64) -> Result<FileMeta> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .ok_or_else(|| Error::InvalidInput(format!("invalid digest {digest}: expected sha256:<64 lowercase hex>")))?;
    let mut sha256 = [0u8; 32];
    hex::decode_to_slice(hex, &mut sha256).map_err(|e| Error::InvalidInput(format!("invalid digest {digest}: {e}")))?;
    Ok(FileMeta { length: size, hashes: Hashes { sha256: Some(sha256), sha512: None }, custom: None })
}

/// Parses `IMAGE:TAG`; a digest or a missing tag is an error.
pub fn parse_tag(image: &str) -> Result<(Reference, String)> {
    let reference = Reference::parse(image).map_err(|e| Error::InvalidInput(format!("{image}: {e}")))?;
    match (reference.tag().map(str::to_owned), reference.digest()) {
        (Some(tag), _) => Ok((reference, tag)),
        (None, Some(_)) => Err(Error::InvalidInput(format!("{image}: cannot use a digest reference for IMAGE:TAG"))),
        (None, None) => Err(Error::InvalidInput(format!("no tag specified for {image}"))),
    }
}

/// A tag with a digest and size given by the caller.
pub fn tag_target(image: &str, digest: &str, size: u64) -> Result<TagTarget> {
    let (reference, tag) = parse_tag(image)?;
    Ok(TagTarget { image: image.to_owned(), reference, tag, meta: manifest_meta(digest, size)? })
}

/// Tags with the digest and size of their manifests in the registry, asked eight at a time.
pub fn tag_targets_from_registry(settings: &Settings, images: &[String]) -> Result<Vec<TagTarget>> {
    tag_targets_from_registry_with(settings, images, &NoProgress)
}

/// [`tag_targets_from_registry`], telling `progress` of each lookup as it finishes
/// (one stage, `Looking up` tags).
pub fn tag_targets_from_registry_with(
    settings: &Settings,
    images: &[String],
    progress: &dyn Progress,
) -> Result<Vec<TagTarget>> {
    const WORKERS: usize = 8;
    let parsed: Vec<(String, Reference, String)> = images
        .iter()
        .map(|image| parse_tag(image).map(|(reference, tag)| (image.clone(), reference, tag)))
        .collect::<Result<_>>()?;
    let registry = settings.registry_client();
    let per_worker = parsed.len().div_ceil(WORKERS).max(1);
    let lookup = |chunk: &[(String, Reference, String)]| -> Vec<Result<TagTarget>> {
        chunk
            .iter()
            .map(|(image, reference, tag)| {
                let manifest = registry.manifest(reference);
                progress.item(image);
                let manifest = manifest?;
                let meta = manifest_meta(&manifest.digest, manifest.size)?;
                Ok(TagTarget { image: image.clone(), reference: reference.clone(), tag: tag.clone(), meta })
            })
            .collect()
    };
    progress.stage(Stage { action: "Looking up", unit: "tags", total: parsed.len() });
    let found = std::thread::scope(|scope| {
        let workers: Vec<_> = parsed.chunks(per_worker).map(|chunk| scope.spawn(move || lookup(chunk))).collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join().unwrap_or_else(|_| {
                    vec![Err(Error::Network { url: "registry".into(), reason: "a registry lookup failed".into() })]
                })
            })
            .collect()
    });
    progress.end();
    found
}

/// Signs `targets` into every role the local keys can sign for each tag, one
/// publish per repository, reporting what happens to `report`.
pub fn sign(settings: &Settings, targets: &[TagTarget], report: &mut dyn FnMut(Event)) -> Result<()> {
    sign_with(settings, targets, report, &NoProgress)
}

/// [`sign`], telling `progress` of each tag as its change is staged (one
/// `Signing` stage per repository) and of each publish.
pub fn sign_with(
    settings: &Settings,
    targets: &[TagTarget],
    report: &mut dyn FnMut(Event),
    progress: &dyn Progress,
) -> Result<()> {
    let result = sign_each(settings, targets, report, progress);
    progress.end();
    result
}

fn sign_each(
    settings: &Settings,
    targets: &[TagTarget],
    report: &mut dyn FnMut(Event),
    progress: &dyn Progress,
) -> Result<()> {
    let mut by_repo: BTreeMap<String, Vec<&TagTarget>> = BTreeMap::new();
    for t in targets {
        by_repo.entry(t.reference.gun()).or_default().push(t);
    }
    for (gun, tags) in by_repo {
        progress.stage(Stage { action: "Signing", unit: "tags", total: tags.len() });
        let session = Session::open(settings, &tags[0].reference)?;
        match session.current() {
            Ok(mut repo) => {
                let held = session.keys.held_key_ids()?;
                // Every tag's roles are chosen before anything is staged: a tag that
                // cannot be signed leaves no change of the others behind.
                let mut changes = Vec::new();
                let names: Vec<&str> = tags.iter().map(|t| t.tag.as_str()).collect();
                let existing = repo.released_each(&names)?;
                for (t, released) in tags.iter().zip(existing) {
                    report(Event::Signing { image: t.image.clone() });
                    let (tag, digest, mut signers) =
                        released.into_iter().next().map(|r| (r.tag, r.digest, r.signers)).unwrap_or_default();
                    signers.sort();
                    // As docker: the roles first, and the existing signatures only once
                    // there is a role to sign into.
                    let roles = signable_roles(&mut repo, &held, &t.tag)
                        .map_err(|e| session.explain_keys(failed(e, &format!("failed to sign {gun}:{}", t.tag))))?;
                    report(Event::Existing { tag, digest, signers });
                    changes.extend(roles.iter().map(|role| Change::add_target(role, &t.tag, &t.meta)));
                    progress.item(&t.image);
                }
                session.stage_all(&changes)?;
            }
            Err(e) if e.kind() == ErrorKind::NotSigned => {
                for t in &tags {
                    report(Event::Signing { image: t.image.clone() });
                    progress.item(&t.image);
                }
                let changes: Vec<Change> =
                    tags.iter().map(|t| Change::add_target("targets", &t.tag, &t.meta)).collect();
                session.stage_all(&changes)?;
            }
            Err(e) => return Err(e),
        }
        progress.doing(&format!("publishing {gun}"));
        if session.publish()?.initialized {
            report(Event::Initialized { gun: gun.clone() });
        }
        let mut names: Vec<&str> = tags.iter().map(|t| t.tag.as_str()).collect();
        names.sort_by(|a, b| natural_cmp(a, b));
        for tag in names {
            report(Event::Signed { gun: gun.clone(), tag: tag.to_owned() });
        }
    }
    Ok(())
}

/// Removes the signature of `image`'s tag, or of every tag when it names none, from
/// each role the local keys can sign, and publishes. (`docker trust revoke` asks for
/// confirmation before removing every tag; callers do that.)
pub fn revoke(settings: &Settings, image: &str, report: &mut dyn FnMut(Event)) -> Result<()> {
    let reference = Reference::parse(image).map_err(|e| Error::InvalidInput(format!("{image}: {e}")))?;
    if reference.tag().is_none() && reference.digest().is_some() {
        return Err(Error::InvalidInput(format!("{image}: cannot use a digest reference for IMAGE:TAG")));
    }
    let cannot = format!("could not remove signature for {image}");
    let session = Session::open(settings, &reference)?;
    let mut repo = session.current().map_err(|e| e.noted(cannot.clone()))?;
    let tags: Vec<String> = match reference.tag() {
        Some(tag) => {
            repo.release(tag).map_err(|e| e.noted(cannot.clone()))?;
            vec![tag.to_owned()]
        }
        None => {
            let mut all: Vec<String> = repo.trust_info(None)?.released.into_iter().map(|r| r.tag).collect();
            all.dedup();
            if all.is_empty() {
                return Err(Error::TagNotSigned { gun: reference.gun(), tag: "*".into() }
                    .noted(format!("{cannot}: it has no signed tags to remove")));
            }
            all
        }
    };
    let held = session.keys.held_key_ids()?;
    let mut changes = Vec::new();
    for tag in &tags {
        let roles = signable_roles(&mut repo, &held, tag).map_err(|e| session.explain_keys(failed(e, &cannot)))?;
        changes.extend(roles.iter().map(|role| Change::remove_target(role, tag)));
    }
    session.stage_all(&changes)?;
    drop(repo);
    session.publish()?;
    report(Event::Revoked { image: image.to_owned() });
    Ok(())
}

/// A key error of [`signable_roles`] as docker words it: `<what failed>: <why>`.
/// Other errors are returned as they are.
fn failed(e: Error, what: &str) -> Error {
    match e {
        Error::Key(why) => Error::Key(format!("{what}: {why}")),
        e => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_must_be_sha256_lowercase_hex() {
        let meta = manifest_meta(&format!("sha256:{}", "ab".repeat(32)), 7).unwrap();
        assert_eq!((meta.length, meta.hashes.sha256), (7, Some([0xab; 32])));
        for bad in
            ["sha256:AB", "sha512:ab", &format!("sha256:{}", "AB".repeat(32)), &format!("sha256:{}", "g".repeat(64))]
        {
            assert_eq!(manifest_meta(bad, 1).unwrap_err().kind(), ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn tags_are_required() {
        assert_eq!(parse_tag("example.com/app:v1").unwrap().1, "v1");
        let digest = format!("example.com/app@sha256:{}", "ab".repeat(32));
        for bad in ["example.com/app", digest.as_str(), "Not A Reference"] {
            assert_eq!(parse_tag(bad).unwrap_err().kind(), ErrorKind::InvalidInput, "{bad}");
        }
    }
}
