"""trustkit.tuf against a real HTTP server (http.server in a thread of this process)
serving a copy of fixtures/tuf1/basic, a repository python-tuf made and its own client
accepts.

The server runs in this interpreter: every call that fetches must release the GIL, or
the server thread could not answer and the call would time out.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import os
import pathlib
import re
import shutil
import threading
from typing import Iterator, List

import pytest

import trustkit
from trustkit import tuf

ROOT = pathlib.Path(__file__).resolve().parents[3]
BASIC = ROOT / "fixtures" / "tuf1" / "basic"
README = ROOT / "bindings" / "python" / "README.md"
TOP_LEVEL = {"root.json", "timestamp.json", "snapshot.json", "targets.json"}
HELLO_SHA256 = "853ff93762a06ddbf722c4ebe9ddd66d8f63ddaea97f521c3ecc20da7c976020"
HELLO_SHA512 = (
    "f65f341b35981fda842b09b2c8af9bcdb7602a4c2e6fa1f7d41f0974d3e3122f"
    "268fc79d5a4af66358f5133885cd1c165c916f80ab25e5d8d95db46f803c782c"
)


@dataclasses.dataclass
class Repo:
    """The served copy of the fixture (``dir``), its URL and the paths requested."""

    dir: pathlib.Path
    url: str
    requests: List[str]

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/metadata"

    @property
    def targets_url(self) -> str:
        return f"{self.url}/targets"

    def target_files(self, name: str) -> List[pathlib.Path]:
        """The served files of target ``name`` (``HASH.name``, one per hash)."""
        parent, _, base = name.rpartition("/")
        return sorted((self.dir / "targets" / parent).glob(f"*.{base}"))

    def target_requests(self) -> List[str]:
        return [p for p in self.requests if p.startswith("/targets/")]


@pytest.fixture
def repo(request: pytest.FixtureRequest, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Repo]:
    """A copy of fixtures/tuf1/basic (or the case of an indirect parameter), served."""
    case = BASIC.parent / getattr(request, "param", "basic")
    served = tmp_path / "server"
    for part in ("metadata", "targets"):
        if (case / part).is_dir():
            shutil.copytree(case / part, served / part)
    requests: List[str] = []
    lock = threading.Lock()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                requests.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield Repo(served, f"http://127.0.0.1:{server.server_address[1]}", requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def contents(directory: pathlib.Path) -> dict:
    """Every file under ``directory``: relative path to bytes."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture
def md(tmp_path: pathlib.Path) -> pathlib.Path:
    """A metadata directory that trusts the fixture's root."""
    md = tmp_path / "md"
    tuf.init(md, (BASIC / "metadata" / "root.json").read_bytes())
    return md


def test_the_module_exports_ngclients_names():
    assert tuf.__all__ == ["init", "Updater", "TargetInfo"]
    assert tuf.Updater.__module__ == "trustkit.tuf" and tuf.TargetInfo.__module__ == "trustkit.tuf"
    assert "Updater" in (tuf.Updater.__doc__ or "")


def test_init_and_refresh_store_the_top_level_metadata(tmp_path, repo):
    md = tmp_path / "md"
    tuf.init(str(md), (BASIC / "metadata" / "root.json").read_bytes())
    assert contents(md) == {"root.json": (BASIC / "metadata" / "root.json").read_bytes()}
    updater = tuf.Updater(md, repo.metadata_url)
    assert repo.requests == [], "nothing is fetched before refresh"
    updater.refresh()
    assert set(contents(md)) == TOP_LEVEL
    served = repo.dir / "metadata"
    assert (md / "timestamp.json").read_bytes() == (served / "timestamp.json").read_bytes()
    assert (md / "snapshot.json").read_bytes() == (served / "1.snapshot.json").read_bytes()
    assert (md / "targets.json").read_bytes() == (served / "1.targets.json").read_bytes()
    assert repo.requests == [
        "/metadata/2.root.json",
        "/metadata/timestamp.json",
        "/metadata/1.snapshot.json",
        "/metadata/1.targets.json",
    ], "python-tuf's order, consistent snapshot names"
    # A second client on the same directory needs only root and timestamp.
    del repo.requests[:]
    tuf.Updater(md, repo.metadata_url + "/").refresh()
    assert repo.requests == ["/metadata/2.root.json", "/metadata/timestamp.json"]


def test_init_takes_a_path_too(tmp_path):
    for i, root in enumerate([BASIC / "metadata" / "root.json", str(BASIC / "metadata" / "root.json")]):
        tuf.init(tmp_path / str(i), root)
        assert (tmp_path / str(i) / "root.json").read_bytes() == (BASIC / "metadata" / "root.json").read_bytes()


def test_get_targetinfo(md, repo):
    updater = tuf.Updater(md, repo.metadata_url)
    info = updater.get_targetinfo("hello.txt")  # refreshes first
    assert set(contents(md)) == TOP_LEVEL
    assert isinstance(info, tuf.TargetInfo)
    assert (info.path, info.role, info.length) == ("hello.txt", "targets", 13)
    assert info.hashes == {"sha256": HELLO_SHA256, "sha512": HELLO_SHA512}
    assert info.custom == {"kind": "greeting", "n": 1}
    assert repr(info) == "trustkit.tuf.TargetInfo(path=\"hello.txt\", role=\"targets\", length=13)"
    app = updater.get_targetinfo("dir/sub/app.bin")
    assert app is not None and (app.role, app.length, app.custom) == ("targets", 1024, {"arch": ["amd64", "arm64"]})
    assert sorted(app.hashes) == ["sha256", "sha512"]
    assert updater.get_targetinfo("missing.txt") is None
    assert updater.get_targetinfo("hello.txt") == info and info != app
    assert repo.target_requests() == []


@pytest.mark.parametrize(("name", "stored"), [("hello.txt", "hello.txt"), ("dir/sub/app.bin", "dir%2Fsub%2Fapp.bin")])
def test_download_then_cached(tmp_path, md, repo, name, stored):
    target_dir = tmp_path / "downloads"
    updater = tuf.Updater(md, repo.metadata_url, target_base_url=repo.targets_url, target_dir=target_dir)
    info = updater.get_targetinfo(name)
    assert info is not None
    assert updater.find_cached_target(info) is None
    path = updater.download_target(info)
    assert path == str(target_dir / stored)
    want = repo.target_files(name)[0].read_bytes()
    assert len(want) == info.length and pathlib.Path(path).read_bytes() == want
    assert contents(target_dir) == {stored: want}, "no temporary file left"
    sha256_name = f"{info.hashes['sha256']}.{name.rpartition('/')[2]}"
    assert repo.target_requests() == [f"/targets/{name.rpartition('/')[0] + '/' if '/' in name else ''}{sha256_name}"]

    # The same updater, and another one, find the stored copy: no request for the target.
    assert updater.find_cached_target(info) == path
    again = tuf.Updater(md, repo.metadata_url, target_base_url=repo.targets_url, target_dir=str(target_dir))
    info = again.get_targetinfo(name)
    assert info is not None
    assert (again.find_cached_target(info) or again.download_target(info)) == path
    assert len(repo.target_requests()) == 1

    # A stored copy that no longer matches is not used.
    pathlib.Path(path).write_bytes(b"x" * info.length)
    assert again.find_cached_target(info) is None


def test_tampered_target_is_a_verification_error_and_leaves_nothing(tmp_path, md, repo):
    target_dir = tmp_path / "downloads"
    updater = tuf.Updater(md, repo.metadata_url, target_base_url=repo.targets_url, target_dir=target_dir)
    info = updater.get_targetinfo("hello.txt")
    assert info is not None
    for tampered in (b"HELLO, WORLD\n", b"hello, world!\n", b"hello"):  # same length, longer, shorter
        for f in repo.target_files("hello.txt"):
            f.write_bytes(tampered)
        with pytest.raises(trustkit.VerificationError, match="hello.txt"):
            updater.download_target(info)
        assert contents(target_dir) == {}, tampered
    assert len(repo.target_requests()) == 3


def test_tampered_snapshot_is_a_verification_error_and_stores_nothing_of_it(md, repo):
    snapshot = repo.dir / "metadata" / "1.snapshot.json"
    snapshot.write_bytes(snapshot.read_bytes().replace(b'"version": 1', b'"version": 2', 1))
    before = contents(md)
    updater = tuf.Updater(md, repo.metadata_url)
    with pytest.raises(trustkit.VerificationError, match="snapshot"):
        updater.refresh()
    # The timestamp verified and is stored before the snapshot is fetched (the
    # specification's 5.4.5, as python-tuf does); nothing of the snapshot or after it is.
    after = contents(md)
    assert after == {**before, "timestamp.json": (repo.dir / "metadata" / "timestamp.json").read_bytes()}
    # From there, the same refresh changes nothing at all.
    with pytest.raises(trustkit.VerificationError):
        tuf.Updater(md, repo.metadata_url).refresh()
    with pytest.raises(trustkit.VerificationError):
        tuf.Updater(md, repo.metadata_url).get_targetinfo("hello.txt")
    assert contents(md) == after


def test_tampered_timestamp_changes_nothing(md, repo):
    timestamp = repo.dir / "metadata" / "timestamp.json"
    timestamp.write_bytes(timestamp.read_bytes().replace(b'"version": 1', b'"version": 7', 1))
    before = contents(md)
    with pytest.raises(trustkit.VerificationError):
        tuf.Updater(md, repo.metadata_url).refresh()
    assert contents(md) == before


@pytest.mark.parametrize("repo", ["delegations"], indirect=True)
def test_the_delegation_search_finds_what_python_tuf_finds(tmp_path, repo):
    case = BASIC.parent / "delegations"
    md = tmp_path / "md"
    tuf.init(md, case / "metadata" / "root.json")
    updater = tuf.Updater(md, repo.metadata_url)
    resolve = json.loads((case / "expected.json").read_text())["resolve"]
    found = {}
    for path in resolve:
        info = updater.get_targetinfo(path)
        found[path] = None if info is None else info.role
    assert found == resolve
    # each delegated role the searches reached is stored under its name
    assert {r + ".json" for r in resolve.values() if r} <= set(os.listdir(md))


def test_errors(tmp_path, md, repo):
    with pytest.raises(trustkit.InvalidArgumentError, match="no trusted root"):
        tuf.Updater(tmp_path / "empty", repo.metadata_url)
    with pytest.raises(trustkit.InvalidArgumentError):
        tuf.Updater(md, "not a url")
    for bad in (b"{}", b"not json", (BASIC / "metadata" / "1.targets.json").read_bytes()):
        with pytest.raises(trustkit.VerificationError, match="root"):
            tuf.init(tmp_path / "bad", bad)
    assert not (tmp_path / "bad" / "root.json").exists()
    with pytest.raises(trustkit.LocalIOError, match="no-such-root.json"):
        tuf.init(tmp_path / "bad", tmp_path / "no-such-root.json")
    with pytest.raises(TypeError):
        tuf.init(tmp_path / "bad", 5)
    with pytest.raises(trustkit.NetworkError):
        tuf.Updater(md, "http://127.0.0.1:9/metadata").refresh()
    with pytest.raises(trustkit.NetworkError):
        tuf.Updater(md, f"{repo.url}/nothing-here").refresh()
    assert set(contents(md)) == {"root.json"}
    updater = tuf.Updater(md, repo.metadata_url)
    info = updater.get_targetinfo("hello.txt")
    assert info is not None
    with pytest.raises(trustkit.InvalidArgumentError, match="target directory"):
        updater.find_cached_target(info)
    with pytest.raises(trustkit.InvalidArgumentError, match="target base URL"):
        tuf.Updater(md, repo.metadata_url, target_dir=tmp_path / "t").download_target(info)
    with pytest.raises(trustkit.NetworkError):
        tuf.Updater(md, repo.metadata_url, f"{repo.url}/nothing-here", tmp_path / "t").download_target(info)
    assert list((tmp_path / "t").iterdir()) == []


def test_one_updater_from_threads(tmp_path, md, repo):
    updater = tuf.Updater(md, repo.metadata_url, target_base_url=repo.targets_url, target_dir=tmp_path / "t")
    found: List[str] = []

    def fetch(name: str) -> None:
        info = updater.get_targetinfo(name)
        assert info is not None
        found.append(updater.find_cached_target(info) or updater.download_target(info))

    threads = [threading.Thread(target=fetch, args=(n,)) for n in ("hello.txt", "dir/sub/app.bin") * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(found)) == sorted(str(tmp_path / "t" / n) for n in ("dir%2Fsub%2Fapp.bin", "hello.txt"))
    assert len(found) == 8


def examples() -> list:
    """The example of trustkit.tuf's docstring, of Updater's and of the README's TUF section."""

    def indented_block(doc: str) -> str:
        block = re.search(r"::\n\n((?:(?: {4,}.*)?\n)+)", doc)
        assert block, doc
        lines = block.group(1).splitlines()
        indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
        return "\n".join(line[indent:] for line in lines)

    readme = README.read_text()
    section = readme[readme.index("## TUF 1.0") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "README's TUF section has a python example"
    return [
        pytest.param(indented_block(tuf.__doc__ or ""), id="trustkit.tuf"),
        pytest.param(indented_block(tuf.Updater.__doc__ or ""), id="Updater"),
        pytest.param(code.group(1), id="README"),
    ]


@pytest.mark.parametrize("example", examples())
def test_the_documented_example_runs(tmp_path, repo, monkeypatch, example):
    monkeypatch.chdir(tmp_path)
    shutil.copy(BASIC / "metadata" / "root.json", tmp_path / "root.json")
    exec(compile(example, "<example>", "exec"), {"url": repo.url})
    assert (tmp_path / "downloads" / "hello.txt").read_bytes() == b"hello, world\n"
    assert set(os.listdir(tmp_path / "md")) == TOP_LEVEL
