"""nginx from Debian's package: a throwaway server on loopback, its config written to a temporary folder.

The caller gives what goes inside nginx's ``http`` block and its one ``server`` block; this module
adds the rest (one worker, no daemon, every path in the folder, no access log). The port is held
from the moment it is chosen: the socket is bound and listening in this process and handed to
nginx as an inherited socket (nginx reads ``NGINX=<fd>;`` from its environment, the mechanism of its
binary upgrade), so no other process can take it in between. nginx is ready when it answers a
request to its readiness location, within a bounded wait; ``stop`` is TERM then KILL, bounded.
"""

from __future__ import annotations

import http.client
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Self

from livingspec.infra.errors import InfraError
from livingspec.infra.lifecycle import Started
from livingspec.infra.net import LOOPBACK, bound_socket
from livingspec.infra.process import ManagedProcess, require_binary

#: Where Debian and source builds put the binary when it is not on PATH.
NGINX_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin")
#: A location every launched nginx answers with 204, so that readiness is a real HTTP answer.
READY_PATH = "/.livingspec-ready"


def nginx_config(workdir: Path, port: int, http: str = "", server: str = "") -> str:
    """A whole nginx.conf: one worker, no daemon, paths in ``workdir``, ``http`` and ``server`` blocks' bodies."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
daemon off;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} notice;
events {{ worker_connections 256; }}
http {{
    access_log off;
{temp}
{http}
    server {{
        listen {LOOPBACK}:{port};
        location = {READY_PATH} {{ return 204; }}
{server}
    }}
}}
"""


class NginxServer(Started):
    """nginx on a held loopback port with the caller's ``http`` and ``server`` directives; a context manager.

    A missing binary raises TargetUnavailableError (the scenario skips with the reason).
    """

    def __init__(self, http: str = "", server: str = "", ready_timeout: float = 20.0) -> None:
        binary = require_binary("nginx", NGINX_DIRS)
        self.ready_timeout = ready_timeout
        self._socket = bound_socket()
        self._socket.listen(128)
        self.port = int(self._socket.getsockname()[1])
        self.workdir = Path(tempfile.mkdtemp(prefix="livingspec-nginx-"))
        self.config = self.workdir / "nginx.conf"
        self.config.write_text(nginx_config(self.workdir, self.port, http, server))
        fd = self._socket.fileno()
        argv = [binary, "-p", str(self.workdir), "-c", str(self.config), "-e", str(self.workdir / "error.log")]
        self.process = ManagedProcess(
            argv, name="nginx", cwd=self.workdir, env={"NGINX": f"{fd};"}, pass_fds=(fd,), ready_timeout=ready_timeout
        )

    @property
    def base_url(self) -> str:
        """Where to send requests."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        """Start nginx and wait (bounded) until it answers; InfraError with its log if it does not."""
        self.process.start()
        try:
            self._wait_ready()
        except InfraError:
            self.stop()
            raise
        self._socket.close()  # nginx holds its own copy now
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            running = self.process.process
            if running is None or running.poll() is not None:
                raise InfraError(f"nginx exited before answering:\n{self._log_tail()}")
            connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=1.0)
            try:
                connection.request("GET", READY_PATH)
                status = connection.getresponse().status
                if status == 204:
                    return
                last = f"status {status}"
            except OSError as error:
                last = str(error)
            finally:
                connection.close()
            time.sleep(0.05)
        raise InfraError(f"nginx did not answer within {self.ready_timeout} s ({last}):\n{self._log_tail()}")

    def _log_tail(self) -> str:
        error_log = self.workdir / "error.log"
        text = error_log.read_text(errors="replace") if error_log.exists() else ""
        return "\n".join([*text.splitlines()[-10:], self.process.log_tail(10)])

    def stop(self) -> None:
        """Stop nginx (bounded), release the port and remove its folder."""
        self.process.stop()
        self._socket.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
