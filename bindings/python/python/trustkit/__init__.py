"""trustkit: sign and verify container images with Docker Content Trust data.

Python bindings of ``trust-core``, a verified Notary v1 TUF client compatible with
``docker trust`` and the ``notary`` client::

    import trustkit

    client = trustkit.Client(server="https://notary.example.com", ca="ca.crt")
    digest = client.verify("registry.example.com/team/app:v1.2")  # "sha256:..."

    # the registry store: trust data in the image's own registry repository
    digest = trustkit.Client(server="oci://").verify("registry.example.com/team/app:v1.2")

See :class:`Client` for the operations and :mod:`trustkit._errors` for the
exceptions they raise. :mod:`trustkit.tuf` is a client of TUF 1.0 repositories
(python-tuf ngclient's ``Updater``).
"""

from ._errors import (
    InvalidArgumentError,
    KeyStoreError,
    LocalIOError,
    NetworkError,
    NotSignedError,
    TrustError,
    VerificationError,
)
from ._native import Client, __version__

__all__ = [
    "Client",
    "TrustError",
    "NotSignedError",
    "VerificationError",
    "NetworkError",
    "KeyStoreError",
    "InvalidArgumentError",
    "LocalIOError",
    "__version__",
]


def __dir__() -> "list[str]":
    """The public API only (not the helper modules ``_errors`` and ``_native``)."""
    return sorted(__all__)
