//! A publish to a file remote needs the passphrase of the directory's own snapshot
//! and timestamp keys. When the environment does not give it, it is asked for on the
//! terminal before the publish does anything (no key made, nothing staged); with no
//! terminal the error names the variables to set.

use std::borrow::Cow;

use crate::Result;
use crate::keystore::{ServerKeys, TerminalPrompter, ask_server_passphrase};
use crate::publish::file_store::FileStore;
use crate::remote::FileRemote;
use crate::settings::Settings;
use trust_tuf::reference::Reference;

/// `settings`, with the file remote's passphrase filled in when the store of
/// `reference` is a file remote and none was given; `settings` itself otherwise.
pub(crate) fn for_publishing<'a>(settings: &'a Settings, reference: &Reference) -> Result<Cow<'a, Settings>> {
    if settings.file_server_passphrase.is_some() || settings.bundle.is_some() {
        return Ok(Cow::Borrowed(settings));
    }
    let server = settings.server_for(reference)?;
    if !server.starts_with("file:") {
        return Ok(Cow::Borrowed(settings));
    }
    let remote = FileRemote::new(&server)?;
    let store = FileStore::new(&remote);
    let gun = reference.gun();
    let check = |passphrase: &str| store.server_passphrase_opens(&gun, passphrase);
    let keys = if store.has_server_keys(&gun)? { ServerKeys::Existing(&check) } else { ServerKeys::New };
    let passphrase = ask_server_passphrase(&server, keys, &TerminalPrompter, !settings.library)?;
    Ok(Cow::Owned(Settings { file_server_passphrase: Some(passphrase), ..settings.clone() }))
}
