"""A TUF 1.0 client in python-tuf ngclient's shape, for any TUF 1.0 repository
(python-tuf and go-tuf repositories, Sigstore's root, tuf-on-ci)::

    from trustkit import tuf

    tuf.init("md", open("root.json", "rb").read())   # the root obtained out of band
    updater = tuf.Updater("md", f"{url}/metadata",
                          target_base_url=f"{url}/targets", target_dir="downloads")
    updater.refresh()
    info = updater.get_targetinfo("hello.txt")
    assert info is not None and info.length == 13
    path = updater.find_cached_target(info) or updater.download_target(info)
    assert open(path, "rb").read() == b"hello, world\\n"

``tests/test_tuf.py`` runs this example (and the README's) against an HTTP server of
``fixtures/tuf1/basic``. Failures raise trustkit's exceptions: VerificationError,
NetworkError, InvalidArgumentError, LocalIOError.
"""

from ._native import TargetInfo, Updater
from ._native import tuf_init as init

__all__ = ["init", "Updater", "TargetInfo"]
