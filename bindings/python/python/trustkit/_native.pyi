"""Type stubs of trustkit's compiled module (re-exported by ``trustkit``)."""

import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union, final

__all__ = ["Client", "Updater", "TargetInfo", "tuf_init", "__version__"]
__version__: str

_Path = Union[str, "os.PathLike[str]"]

@final
class Client:
    """Verifies, inspects, signs and revokes images, and adds and removes signers, with
    Docker Content Trust (Notary v1) data, as ``docker trust`` and ``DOCKER_CONTENT_TRUST=1 docker pull`` do.

    ``server``: trust server URL (``https://...`` or ``file:///dir``), or the registry
    store: ``oci://`` (trust data in each image's own registry repository) or
    ``oci://HOST[:PORT]/PATH`` (a dedicated trust repository); None for docker's
    default. ``trust_dir``: keys and metadata cache,
    None for ``~/.docker/trust`` (or ``$DOCKER_CONFIG/trust``). ``ca``: CA bundle for
    the trust server, None for the system's roots plus ``$DOCKER_CONFIG/tls/<host:port>/``.
    ``max_age``: seconds a fetched timestamp is reused without asking the server
    (default 0: the server is asked every time). ``timeout``: deadline of each request in
    seconds, body included (default 120). ``min_rate``: lowest average body rate in
    bytes per second once 10 s have passed (default 1024; 0 turns it off); a server
    that stalls or drip-feeds fails with ``NetworkError``. ``bundle``: a trust-data
    bundle (directory or ``.tar``/``.tar.gz`` from ``trust export``) to verify from
    instead of a server: no network, nothing cached, no signing; opened at once.
    ``frozen``: check the bundle's expiry as of its export instead of now.

    Immutable and thread-safe; every method releases the GIL during network and
    crypto work.
    """

    def __new__(
        cls,
        *,
        server: Optional[str] = None,
        trust_dir: Optional[_Path] = None,
        ca: Optional[_Path] = None,
        max_age: Optional[float] = None,
        timeout: Optional[float] = None,
        min_rate: Optional[int] = None,
        bundle: Optional[_Path] = None,
        frozen: bool = False,
    ) -> "Client": ...
    @property
    def server(self) -> Optional[str]:
        """The trust server given (``https://...``, ``file://...``, ``oci://...``), or
        None for docker's default."""
    @property
    def trust_dir(self) -> Path:
        """The trust directory in effect."""
    @property
    def max_age(self) -> float:
        """How long a fetched timestamp is reused, in seconds."""
    @property
    def ca(self) -> Optional[Path]:
        """The CA bundle given for the trust server, or None."""
    @property
    def bundle(self) -> Optional[Path]:
        """The trust-data bundle verified from instead of a trust server, or None."""
    @property
    def frozen(self) -> bool:
        """Whether a bundle's expiry is checked as of its export instead of now."""
    def verify(self, image: str, /) -> str:
        """Resolves ``image`` (``NAME[:TAG][@DIGEST]``, tag ``latest`` by default) as
        ``DOCKER_CONTENT_TRUST=1 docker pull`` does, after full TUF verification, and
        returns the signed manifest digest ``sha256:<hex>``.

        Raises NotSignedError, VerificationError, NetworkError, InvalidArgumentError,
        LocalIOError.
        """
    def inspect(self, image: str, /) -> List[Dict[str, Any]]:
        """``docker trust inspect IMAGE``'s JSON, parsed: ``[{"Name", "SignedTags":
        [{"SignedTag", "Digest", "Signers"}], "Signers": [{"Name", "Keys": [{"ID"}]}],
        "AdministrativeKeys": [{"Name", "Keys": [{"ID"}]}]}]``."""
    def sign(self, image: str, /, digest: Optional[str] = None, size: Optional[int] = None) -> None:
        """Signs ``image`` (``NAME:TAG``) for the manifest ``digest``
        (``sha256:<64 lowercase hex>``) of ``size`` bytes, or, with neither, for the
        manifest the registry serves for the tag. Initialises a repository without
        trust data. Raises InvalidArgumentError for a bad digest or size or only one
        of them, KeyStoreError for a missing key or wrong passphrase."""
    def revoke(self, image: str, /, *, all_tags: bool = False) -> None:
        """Removes the signature of ``image``'s tag (``NAME:TAG``) and publishes; with a
        bare ``NAME`` and ``all_tags=True``, the signatures of every tag."""
    def signer_add(self, image: str, /, name: str, public_keys: List[str]) -> None:
        """Adds the signer ``name`` with ``public_keys`` (PEM texts) to ``image``'s
        repository and publishes, as ``docker trust signer add`` does. Initialises a
        repository without trust data. Raises InvalidArgumentError for a bad name or no
        key, KeyStoreError for a key that does not parse."""
    def signer_remove(self, image: str, /, name: str, *, force: bool = False) -> None:
        """Removes the signer ``name`` from ``image``'s repository and publishes, as
        ``trust signer remove`` does. Removing the signer ``targets/releases`` is signed
        with takes ``force=True``. Raises NotSignedError when there is no such signer."""
    def key_generate(self, name: str, /, *, passphrase: str, algorithm: str = "ecdsa") -> Tuple[str, str]:
        """Generates a signing key ``name`` in the trust directory, encrypted with
        ``passphrase`` (at least 8 characters); ``algorithm`` is ``"ecdsa"`` or
        ``"ed25519"``. Returns ``(key_id, public_key_pem)``, the PEM for ``signer_add``.
        Raises InvalidArgumentError for a bad name or algorithm, KeyStoreError for a
        short passphrase."""
    def key_load(
        self,
        pem: Union[str, bytes],
        /,
        *,
        passphrase: str,
        name: str = "signer",
        new_passphrase: Optional[str] = None,
    ) -> str:
        """Imports the private key ``pem`` (encrypted with ``passphrase``, or not) as
        ``name``, stored encrypted with ``new_passphrase`` (default ``passphrase``);
        returns its key ID. Raises KeyStoreError for a wrong passphrase or a file that
        is not a private key."""
    def keys(self) -> List[Dict[str, Optional[str]]]:
        """The trust directory's private keys, sorted by ID: ``{"id", "role", "gun"}``."""

def tuf_init(metadata_dir: _Path, root: Union[bytes, _Path], /) -> None:
    """Stores ``root`` (``root.json``'s bytes, or a path to read them from) as the
    trusted root of a new TUF 1.0 client in ``metadata_dir``, with no network.
    Re-exported as ``trustkit.tuf.init``. Raises VerificationError for what is not
    root metadata signed by its own keys, LocalIOError when a file cannot be read or
    written."""

@final
class TargetInfo:
    """A target file as trusted metadata lists it (``trustkit.tuf.TargetInfo``), from
    ``Updater.get_targetinfo``."""

    @property
    def path(self) -> str:
        """The target path."""
    @property
    def role(self) -> str:
        """The role that lists the target."""
    @property
    def length(self) -> int:
        """The file's length in bytes."""
    @property
    def hashes(self) -> Dict[str, str]:
        """Algorithm to lowercase hex."""
    @property
    def custom(self) -> Optional[Dict[str, Any]]:
        """The target's ``custom`` value, or None."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class Updater:
    """A TUF 1.0 client of one repository (``trustkit.tuf.Updater``), in python-tuf
    ngclient's shape: ``metadata_dir`` holds the trusted metadata (see ``tuf_init``),
    ``metadata_url`` serves the repository's metadata, target files come from
    ``target_base_url`` into ``target_dir``. Every call releases the GIL."""

    def __new__(
        cls,
        metadata_dir: _Path,
        metadata_url: str,
        target_base_url: Optional[str] = None,
        target_dir: Optional[_Path] = None,
    ) -> "Updater": ...
    def refresh(self) -> None:
        """Updates root, timestamp, snapshot and targets; stores what verifies."""
    def get_targetinfo(self, path: str, /) -> Optional[TargetInfo]:
        """The target ``path`` by the delegation search, or None when no role lists it."""
    def find_cached_target(self, info: TargetInfo, /) -> Optional[str]:
        """The stored copy of ``info`` when its length and hashes match, else None."""
    def download_target(self, info: TargetInfo, /) -> str:
        """Downloads and verifies ``info``'s file into the target directory; its path."""
