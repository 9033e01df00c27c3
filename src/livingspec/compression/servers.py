"""Real targets: the sample app under uvicorn on loopback, and nginx (gzip on) proxying to it.

Both run from binaries on this machine, on free 127.0.0.1 ports, in temporary folders, and stop
when their context ends. A missing binary raises TargetUnavailableError (the scenario skips).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from livingspec.infra import LOOPBACK, ManagedProcess, free_port, require_binary

NGINX_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin")


class UvicornServer:
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

    def __enter__(self) -> UvicornServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def nginx_config(workdir: Path, port: int, upstream_port: int, gzip_level: int = 1) -> str:
    """An nginx.conf: gzip on (Debian's defaults but for the JSON/HTML types), proxying to the upstream."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
daemon off;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
{temp}
    gzip on;
    gzip_comp_level {gzip_level};
    gzip_proxied any;
    gzip_vary on;
    gzip_types application/json text/html application/x-ndjson;
    upstream app {{ server {LOOPBACK}:{upstream_port}; keepalive 8; }}
    server {{
        listen {LOOPBACK}:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


class NginxProxy:
    """nginx with gzip on, proxying to ``upstream_port`` on loopback, config written to a temp folder."""

    def __init__(self, upstream_port: int, gzip_level: int = 1) -> None:
        binary = require_binary("nginx", NGINX_DIRS)
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="livingspec-nginx-"))
        config = self.workdir / "nginx.conf"
        config.write_text(nginx_config(self.workdir, self.port, upstream_port, gzip_level))
        argv = [binary, "-p", str(self.workdir), "-c", str(config), "-e", str(self.workdir / "error.log")]
        self.process = ManagedProcess(argv, name="nginx", ready_port=self.port, cwd=self.workdir)

    @property
    def base_url(self) -> str:
        """Where to send requests."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> NginxProxy:
        """Start nginx and wait (bounded) until it listens."""
        self.process.start()
        return self

    def stop(self) -> None:
        """Stop nginx and remove its folder."""
        self.process.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> NginxProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
