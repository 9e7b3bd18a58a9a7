"""The exceptions trustkit raises.

Every failure of a trust operation is a :class:`TrustError`; its subclass says what
kind of failure it was. Messages name what was wrong (and often what to do) and never
contain keys or passphrases.

==========================  ===================================================
exception                   raised when
==========================  ===================================================
:class:`NotSignedError`     the repository has no trust data, or the tag (or
                            digest) is not signed
:class:`VerificationError`  trust data exists but failed verification
                            (signature, threshold, expiry, rollback, hash, ...)
:class:`NetworkError`       the trust server or registry could not be reached,
                            refused TLS, or answered with an error
:class:`KeyStoreError`      a private key is missing, or a passphrase is wrong
                            or unavailable
:class:`InvalidArgumentError`  an argument is invalid (reference, digest, size,
                            server URL); also a :class:`ValueError`
:class:`LocalIOError`       a local file (trust dir, CA file) could not be read
                            or written; also an :class:`OSError`
==========================  ===================================================

Wrong argument *types* (a size that is not an int, a reference that is not a str)
raise a plain :class:`TypeError`, as Python functions do.
"""

from __future__ import annotations

__all__ = [
    "TrustError",
    "NotSignedError",
    "VerificationError",
    "NetworkError",
    "KeyStoreError",
    "InvalidArgumentError",
    "LocalIOError",
]


class TrustError(Exception):
    """Base class of every error a trust operation raises."""


class NotSignedError(TrustError):
    """No trust data for the repository, or the tag or digest is not signed.

    ``DOCKER_CONTENT_TRUST=1 docker pull`` refuses such an image too.
    """


class VerificationError(TrustError):
    """Trust data exists but failed verification: do not use the image."""


class NetworkError(TrustError):
    """The trust server or registry could not be reached or answered with an error.

    TLS failures (for example a server certificate the given CA did not sign) are
    network errors. When a publish fails, its changes stay staged in the trust
    directory and the next sign or revoke of that repository publishes them.
    """


class KeyStoreError(TrustError):
    """A private key or passphrase problem: a key is missing, or a passphrase is wrong
    or not available (set ``DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE`` and
    ``DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE``)."""


class InvalidArgumentError(TrustError, ValueError):
    """An invalid argument: reference, digest, size, server URL or configuration."""


class LocalIOError(TrustError, OSError):
    """A local file or directory could not be read or written (the trust directory, a
    CA file). The message names the path and the operating system's reason."""


# Shown as trustkit.NotSignedError etc. in tracebacks; pickling finds them there too.
for _cls in (
    TrustError,
    NotSignedError,
    VerificationError,
    NetworkError,
    KeyStoreError,
    InvalidArgumentError,
    LocalIOError,
):
    _cls.__module__ = "trustkit"
del _cls
