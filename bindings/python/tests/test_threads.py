"""The GIL is released while trustkit talks to servers and does crypto."""

from __future__ import annotations

import concurrent.futures
import select
import socket
import threading
import urllib.parse

import pytest

import trustkit


def test_verify_from_eight_threads(client, peers):
    repo = peers.repo("docker-signers")
    image = f"{repo['image']}:v1"
    expected = "sha256:" + next(row["sha256"] for row in repo["tags"] if row["tag"] == "v1")
    start = threading.Barrier(8)

    def verify(_):
        start.wait(timeout=30)
        return client.verify(image)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(verify, range(8)))
    assert results == [expected] * 8


class PythonProxy:
    """A TCP proxy to the trust server whose every byte goes through Python threads."""

    def __init__(self, upstream: str):
        url = urllib.parse.urlsplit(upstream)
        self.upstream = (url.hostname, url.port or 443)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.forwarded = 0
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._pump, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _pump(self, conn):
        with conn, socket.create_connection(self.upstream, timeout=10) as up:
            peer = {conn: up, up: conn}
            while True:
                ready, _, _ = select.select(list(peer), [], [], 10)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peer[sock].sendall(data)
                    self.forwarded += len(data)

    def close(self):
        self.listener.close()


@pytest.fixture
def proxy(peers):
    proxy = PythonProxy(peers.server)
    yield proxy
    proxy.close()


def test_python_threads_run_during_a_call(proxy, peers, tmp_path):
    """Every byte between trustkit and the server passes through Python threads: were
    the GIL held during verify, they could not run and verify would time out."""
    repo = peers.repo("notary-plain")
    client = trustkit.Client(
        server=f"https://localhost:{proxy.port}", trust_dir=tmp_path, ca=peers.ca, timeout=10
    )
    expected = "sha256:" + next(row["sha256"] for row in repo["tags"] if row["tag"] == "v1")
    assert client.verify(f"{repo['image']}:v1") == expected
    assert proxy.forwarded > 0
