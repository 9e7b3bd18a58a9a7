"""Pushes a tiny image to the test registry through its HTTP API (no docker engine),
so that signing without a digest has a real manifest to look up."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import urllib.parse
import urllib.request
from typing import Tuple

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _request(method: str, url: str, data: bytes = b"", headers: dict = None) -> urllib.request.addinfourl:
    req = urllib.request.Request(url, data=data if method in ("POST", "PUT") else None, method=method)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    return urllib.request.urlopen(req, timeout=10)


def _upload_blob(base: str, name: str, blob: bytes) -> str:
    """POST an upload, PUT the blob in one piece; returns its digest."""
    digest = _sha256(blob)
    with _request("POST", f"{base}/v2/{name}/blobs/uploads/") as resp:
        location = urllib.parse.urljoin(base + "/", resp.headers["Location"])
    sep = "&" if "?" in location else "?"
    url = f"{location}{sep}digest={urllib.parse.quote(digest)}"
    with _request("PUT", url, blob, {"Content-Type": "application/octet-stream"}) as resp:
        assert resp.status == 201, resp.status
    return digest


def _layer(seed: bytes) -> Tuple[bytes, bytes]:
    """A gzipped tar holding /seed; returns (uncompressed tar, gzipped tar)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("seed")
        info.size = len(seed)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(seed))
    raw = buf.getvalue()
    return raw, gzip.compress(raw, mtime=0)


def push_image(registry_url: str, name: str, tag: str) -> Tuple[str, int]:
    """Pushes a one-layer image to ``registry_url`` as ``name:tag`` (name without the
    registry); returns the manifest's ``(sha256:<hex>, size)`` as the registry serves it."""
    raw, layer = _layer(os.urandom(32))
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [_sha256(raw)]},
        }
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_V2,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config),
                "digest": _upload_blob(registry_url, name, config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer),
                    "digest": _upload_blob(registry_url, name, layer),
                }
            ],
        }
    ).encode()
    url = f"{registry_url}/v2/{name}/manifests/{tag}"
    with _request("PUT", url, manifest, {"Content-Type": MANIFEST_V2}) as resp:
        assert resp.status == 201, resp.status
    with _request("HEAD", url, headers={"Accept": MANIFEST_V2}) as resp:
        digest, size = resp.headers["Docker-Content-Digest"], int(resp.headers["Content-Length"])
    assert (digest, size) == (_sha256(manifest), len(manifest))
    return digest, size
