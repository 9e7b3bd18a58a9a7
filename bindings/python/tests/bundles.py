"""Builds a trust-data bundle from a real-tool fixture's file remote
(fixtures/<case>/remote): the files laid out as a bundle and a manifest.json with
each file's sha256 and length, exported at the fixture's capture time."""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil

FIXTURES = pathlib.Path(__file__).resolve().parents[3] / "fixtures"


def case(name: str) -> dict:
    """The fixture's case.json."""
    return json.loads((FIXTURES / name / "case.json").read_text())


def build(name: str, dest: pathlib.Path) -> pathlib.Path:
    """A bundle directory at ``dest`` holding fixture ``name``'s repository."""
    info = case(name)
    gun = info["gun"]
    source = FIXTURES / name / "remote" / "v2" / gun / "_trust" / "tuf"
    target = dest / "v2" / gun / "_trust" / "tuf"
    files = {}
    for path in sorted(source.rglob("*.json")):
        rel = path.relative_to(source).as_posix()
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / rel)
        data = path.read_bytes()
        files[rel] = {"sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}
    root = json.loads((source / "root.json").read_text())["signed"]
    at = info["verify_at"]
    manifest = {
        "format": "trust-bundle",
        "version": 1,
        "server": "https://localhost:4443",
        "exported_at": at,
        "repositories": {
            gun: {
                "exported_at": at,
                "root_version": root["version"],
                "root_key_ids": root["roles"]["root"]["keyids"],
                "files": files,
            }
        },
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return dest
