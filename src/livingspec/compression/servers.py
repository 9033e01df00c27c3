"""Real targets: the sample app under uvicorn on loopback, and nginx (gzip on) proxying to it.

Both run from binaries on this machine, on free 127.0.0.1 ports, in temporary folders, and stop
when their context ends; nginx through the shared launcher (``livingspec.infra.nginx``). A missing
binary raises TargetUnavailableError (the scenario skips).
"""

from __future__ import annotations

import sys

from livingspec.infra import LOOPBACK, ManagedProcess, free_port
from livingspec.infra.lifecycle import Started
from livingspec.infra.nginx import NginxServer


class UvicornServer(Started):
    """``livingspec.compression.app:<app_name>`` under uvicorn on a free loopback port."""

    def __init__(self, app_name: str = "module_app", preference: tuple[str, ...] | None = None) -> None:
        self.port = free_port()
        env = {"LIVINGSPEC_COMPRESSION_PREFERENCE": ",".join(preference)} if preference else {}
        argv = [sys.executable, "-m", "uvicorn", f"livingspec.compression.app:{app_name}"]
        argv += ["--host", LOOPBACK, "--port", str(self.port), "--no-access-log", "--log-level", "warning"]
        self.process = ManagedProcess(argv, name="uvicorn", ready_port=self.port, env=env)

    @property
    def base_url(self) -> str:
        """Where to send requests."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> UvicornServer:
        """Start uvicorn and wait (bounded) until it listens."""
        self.process.start()
        return self

    def stop(self) -> None:
        """Stop uvicorn."""
        self.process.stop()


def gzip_proxy_directives(upstream_port: int, gzip_level: int = 1) -> tuple[str, str]:
    """The ``http`` and ``server`` directives of nginx with gzip on (Debian's defaults but for our types)."""
    http = f"""    gzip on;
    gzip_comp_level {gzip_level};
    gzip_proxied any;
    gzip_vary on;
    gzip_types application/json text/html application/x-ndjson;
    upstream app {{ server {LOOPBACK}:{upstream_port}; keepalive 8; }}"""
    server = """        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }"""
    return http, server


class NginxProxy(NginxServer):
    """nginx with gzip on, proxying to ``upstream_port`` on loopback (the shared launcher, infra.nginx)."""

    def __init__(self, upstream_port: int, gzip_level: int = 1) -> None:
        super().__init__(*gzip_proxy_directives(upstream_port, gzip_level))
