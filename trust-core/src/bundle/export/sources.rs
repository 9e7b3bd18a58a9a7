//! Where an export opens the repositories it copies: the trust server of each
//! reference, a remote per registry (its credentials), and a client over it.
//! [`crate::settings::Settings`] is the one the front ends pass; the workflow itself
//! depends only on this trait, so the bundle layer sits below the settings.

use crate::Result;
use crate::client::Client;
use crate::remote::Remote;
use trust_tuf::reference::Reference;
use trust_tuf::trusted::Limits;

/// What the export workflow needs to reach repositories. Shared by its workers.
pub trait Sources: Sync {
    /// The trust server URL of `reference`.
    fn server_for(&self, reference: &Reference) -> Result<String>;

    /// The trust server of `reference`, opened with its registry's credentials.
    fn remote_for(&self, reference: &Reference) -> Result<Box<dyn Remote>>;

    /// A client for the repository of `reference` on `remote`.
    fn client_with(&self, reference: &Reference, remote: Box<dyn Remote>) -> Result<Client>;

    /// The size limits of every client's downloads (they bound the export's own
    /// requests too).
    fn metadata_limits(&self) -> &Limits;

    /// A client for the repository of `reference` on its trust server.
    fn client_for(&self, reference: &Reference) -> Result<Client> {
        self.client_with(reference, self.remote_for(reference)?)
    }
}
