"""The shared nginx launcher (livingspec.infra.nginx): held port, inherited socket, bounded start and stop."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

from livingspec.infra import LOOPBACK, InfraError, TargetUnavailableError
from livingspec.infra import nginx as nginx_module
from livingspec.infra.nginx import NginxServer, nginx_config
from livingspec.infra.process import require_binary

try:
    require_binary("nginx", nginx_module.NGINX_DIRS)
    MISSING = ""
except TargetUnavailableError as error:
    MISSING = str(error)
needs_nginx = pytest.mark.skipif(bool(MISSING), reason=MISSING or "nginx is installed")
HELLO = '        location / { return 200 "hello"; }'


def _bind(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind((LOOPBACK, port))


@needs_nginx
def test_the_port_is_held_from_the_moment_it_is_chosen() -> None:
    server = NginxServer(server=HELLO)
    try:
        with pytest.raises(OSError):  # before nginx runs: another process cannot take the port
            _bind(server.port)
        server.start()
        with pytest.raises(OSError):
            _bind(server.port)
        assert urllib.request.urlopen(server.base_url + "/", timeout=10).read() == b"hello"
        assert "using inherited sockets" in (server.workdir / "error.log").read_text()
    finally:
        server.stop()


@needs_nginx
def test_stop_releases_the_port_and_removes_the_folder() -> None:
    with NginxServer(server=HELLO) as server:
        port, workdir = server.port, server.workdir
    _bind(port)
    assert not workdir.exists()


@needs_nginx
def test_a_config_nginx_refuses_is_an_infra_error_with_its_log() -> None:
    server = NginxServer(server="        no_such_directive on;")
    with pytest.raises(InfraError, match="no_such_directive"):
        server.start()
    assert server.process.process is None  # stopped
    assert not server.workdir.exists()


def test_a_missing_binary_is_target_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(nginx_module, "NGINX_DIRS", ())
    with pytest.raises(TargetUnavailableError, match="nginx is not installed"):
        NginxServer()


def test_the_config_keeps_every_path_in_its_folder(tmp_path: Path) -> None:
    folder = tmp_path
    config = nginx_config(folder, 8080, "    gzip on;", HELLO)
    assert f"listen {LOOPBACK}:8080;" in config
    assert "daemon off;" in config and "gzip on;" in config and 'return 200 "hello"' in config
    paths = [line.split()[1].rstrip(";") for line in config.splitlines() if "_path " in line or "pid " in line]
    assert paths and all(path.startswith(str(folder)) for path in paths)
