//! `trust copy REPOSITORY... --from SOURCE --to DEST`: each repository's trust data
//! moved between stores by [`crate::publish::copy`], one after the other, with
//! progress reported to an observer.

use crate::client::Provenance;
use crate::progress::{Progress, Stage};
use crate::publish::{Copied, copy};
use crate::settings::Settings;
use crate::{Error, Result};
use trust_tuf::reference::Reference;

/// One repository moved.
#[derive(Debug, Clone)]
pub struct CopiedRepository {
    /// The repository (GUN).
    pub gun: String,
    /// The store it was read from.
    pub from: String,
    /// The store it was published to.
    pub to: String,
    /// Where the bundle it was read from came from, when SOURCE is a bundle.
    pub provenance: Option<Provenance>,
    /// What the move did.
    pub copied: Copied,
}

/// Where and how to copy.
#[derive(Debug, Clone, Copy)]
pub struct CopyRoute<'a> {
    /// SOURCE: a store's URL or a bundle's path.
    pub from: &'a str,
    /// DEST: a store's URL.
    pub to: &'a str,
    /// With a bundle as SOURCE: check expiry as of its export time.
    pub frozen: bool,
}

/// Copies the repository named `repository` along `route`.
pub fn copy_repository(settings: &Settings, repository: &str, route: CopyRoute<'_>) -> Result<CopiedRepository> {
    let reference = Reference::parse(repository).map_err(|e| Error::InvalidInput(format!("{repository}: {e}")))?;
    let reader = settings.reader_at(&reference, route.from, route.frozen)?;
    if route.frozen && reader.provenance().is_none() {
        return Err(Error::InvalidInput("--frozen applies only when --from names a bundle".into()));
    }
    let source = reader.client();
    let dest = settings.client_at(&reference, route.to)?;
    let keys = settings.key_source()?;
    let copied = copy(source, &dest, keys.as_ref()).map_err(|e| reader.explain(e))?;
    Ok(CopiedRepository {
        gun: source.gun().to_owned(),
        from: source.server().to_owned(),
        to: dest.server().to_owned(),
        provenance: reader.provenance().cloned(),
        copied,
    })
}

/// Copies each of `repositories` along `route`, in order, reporting each outcome to
/// `each` as it comes and the count to `progress` (stage `Copying`, unit
/// `repositories`). A failure does not stop the others. Returns how many failed.
pub fn copy_repositories(
    settings: &Settings,
    repositories: &[String],
    route: CopyRoute<'_>,
    progress: &dyn Progress,
    each: &mut dyn FnMut(&str, Result<CopiedRepository>),
) -> usize {
    progress.stage(Stage { action: "Copying", unit: "repositories", total: repositories.len() });
    let mut failed = 0;
    for repository in repositories {
        let result = copy_repository(settings, repository, route);
        failed += usize::from(result.is_err());
        each(repository, result);
        progress.item(repository);
    }
    progress.end();
    failed
}
