"""Talking to the project server: find it through `.hyperprov/server.json`, start it when none runs, send JSON."""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

from ._errors import HyperProvError, from_error_document
from ._files import STATE_DIR

log = logging.getLogger('hyperprov')

# The server answers on loopback. urllib would send 127.0.0.1 through $http_proxy unless no_proxy
# lists it, and a corporate proxy cannot reach our loopback, so proxies are never used.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

HEALTH_TIMEOUT_S = 2.0
REQUEST_TIMEOUT_S = 10.0


def start_timeout_s() -> float:
    """How long starting the server may take: `serve --detach` exits once the server answers."""
    try:
        return float(os.environ.get('HYPERPROV_START_TIMEOUT', '15'))
    except ValueError:
        return 15.0


def cli_command() -> Optional[List[str]]:
    """How to run the CLI: $HYPERPROV_CLI (a JS file run with node, or an executable), else `hyperprov` on PATH."""
    configured = os.environ.get('HYPERPROV_CLI')
    if configured:
        if configured.endswith(('.js', '.mjs', '.cjs')):
            return [os.environ.get('HYPERPROV_NODE') or 'node', configured]
        return [configured]
    found = shutil.which('hyperprov')
    return [found] if found else None


def read_server_file(project: str) -> Optional[Dict[str, Any]]:
    path = os.path.join(project, STATE_DIR, 'server.json')
    try:
        with open(path, encoding='utf-8') as file:
            info = json.load(file)
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get('url'), str) or not isinstance(info.get('token'), str):
        return None
    return info


def request(info: Dict[str, Any], method: str, path: str, body: Any = None,
            timeout: float = REQUEST_TIMEOUT_S) -> Tuple[int, Any]:
    """One HTTP exchange; an error status or an unreachable server raises HyperProvError."""
    data = None if body is None else json.dumps(body, allow_nan=False).encode('utf-8')
    req = urllib.request.Request(info['url'].rstrip('/') + path, data=data, method=method)
    req.add_header('Authorization', f"Bearer {info['token']}")
    req.add_header('Accept', 'application/json')
    if data is not None:
        req.add_header('Content-Type', 'application/json')
    try:
        with _OPENER.open(req, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        raw = error.read() or b''
        try:
            document = json.loads(raw.decode('utf-8'))
        except ValueError:
            document = None
        raise from_error_document(error.code, document) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, 'reason', error)
        code = 'TIMEOUT' if isinstance(reason, TimeoutError) or 'timed out' in str(reason) else 'SERVER_UNAVAILABLE'
        raise HyperProvError(code, f'project server at {info["url"]} did not answer: {reason}') from None
    try:
        return status, json.loads(raw.decode('utf-8')) if raw else None
    except ValueError:
        raise HyperProvError('INTERNAL', f'the server sent a body that is not JSON ({len(raw)} bytes)', None, status) from None


class Connection:
    """The server of one project: found once, started at most once per back-off period, re-found after a failure."""

    def __init__(self, project: str):
        self.project = project
        self._lock = threading.Lock()
        self._info: Optional[Dict[str, Any]] = None
        self._next_start = 0.0
        self._start_failures = 0

    def invalidate(self) -> None:
        with self._lock:
            self._info = None

    def info(self, start: bool = True) -> Dict[str, Any]:
        """A server that answered /v1/health, starting one when none does (and start is allowed)."""
        with self._lock:
            if self._info is not None:
                return self._info
            found, why = self._healthy_server_file()
            if found is None and start and time.monotonic() >= self._next_start:
                start_error: Optional[HyperProvError] = None
                try:
                    self._start()
                except HyperProvError as error:
                    start_error = error
                # Read server.json even after a failed start: another process may have started it meanwhile.
                found, late_why = self._healthy_server_file()
                if found is None:
                    why = start_error or late_why or why
                    # Do not spawn a CLI for every retry of a server that cannot start: wait longer each time.
                    self._start_failures += 1
                    self._next_start = time.monotonic() + min(60.0, 2.0 ** self._start_failures)
                else:
                    self._start_failures = 0
            if found is None:
                if isinstance(why, HyperProvError):
                    raise why
                raise HyperProvError('SERVER_UNAVAILABLE', f'no project server runs for {self.project}')
            self._info = found
            return found

    def _healthy_server_file(self) -> Tuple[Optional[Dict[str, Any]], Optional[HyperProvError]]:
        info = read_server_file(self.project)
        if info is None:
            return None, None
        try:
            _status, health = request(info, 'GET', '/v1/health', timeout=HEALTH_TIMEOUT_S)
        except HyperProvError as error:
            # A server.json left by a server that died, or one that refuses us. Never a permanent
            # code here: a 404 from some other program on that port must not fail the checkpoint.
            if error.code not in ('SERVER_UNAVAILABLE', 'UNAUTHORIZED', 'TIMEOUT'):
                error = HyperProvError('SERVER_UNAVAILABLE', f'the server at {info["url"]} failed its health check: {error}')
            return None, error
        if not isinstance(health, dict) or health.get('ok') is not True:
            return None, HyperProvError('SERVER_UNAVAILABLE', f'the server at {info["url"]} is not healthy: {health!r}')
        served = health.get('projectDir')
        if isinstance(served, str) and os.path.realpath(served) != os.path.realpath(self.project):
            return None, HyperProvError('SERVER_UNAVAILABLE',
                                        f'the server at {info["url"]} serves {served}, not {self.project}')
        return info, None

    def _start(self) -> None:
        command = cli_command()
        if command is None:
            raise HyperProvError('SERVER_UNAVAILABLE',
                                 'no project server runs and the hyperprov CLI was not found to start one '
                                 '(set HYPERPROV_CLI or put hyperprov on PATH)')
        timeout = start_timeout_s()
        log.info('hyperprov: starting the project server for %s', self.project)
        # Output goes to a file, not a pipe: the detached server could inherit a pipe's write end
        # and keep it open, and reading it to EOF would then wait for the server to exit.
        # A new session keeps a Ctrl-C meant for the training script away from the starting server.
        with tempfile.TemporaryFile() as output:
            try:
                process = subprocess.run(command + ['serve', '--detach', '--dir', self.project],
                                         stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                                         timeout=timeout, start_new_session=True, check=False)
            except subprocess.TimeoutExpired:
                raise HyperProvError('SERVER_UNAVAILABLE',
                                     f'`hyperprov serve --detach` did not finish within {timeout:g} s') from None
            except OSError as error:
                raise HyperProvError('SERVER_UNAVAILABLE', f'cannot run {command[0]}: {error.strerror}') from None
            if process.returncode != 0:
                output.seek(0)
                lines = [line.strip() for line in output.read().decode('utf-8', 'replace').splitlines() if line.strip()]
                # The CLI prints `error [CODE]: message` and then a hint line: the error is the news.
                errors = [line for line in lines if line.lower().startswith('error')]
                said = errors[0] if errors else (lines[-1] if lines else 'no output')
                raise HyperProvError('SERVER_UNAVAILABLE',
                                     f'`hyperprov serve --detach` exited with {process.returncode}: {said}')

    def call(self, method: str, path: str, body: Any = None, timeout: float = REQUEST_TIMEOUT_S,
             start: bool = True) -> Any:
        """A request to the server; a refused connection or token re-reads server.json once and tries again."""
        for attempt in (1, 2):
            info = self.info(start=start)
            try:
                return request(info, method, path, body, timeout)[1]
            except HyperProvError as error:
                if attempt == 2 or error.code not in ('SERVER_UNAVAILABLE', 'UNAUTHORIZED'):
                    if error.code in ('SERVER_UNAVAILABLE', 'UNAUTHORIZED', 'TIMEOUT'):
                        self.invalidate()
                    raise
                self.invalidate()  # the server restarted (new port, new token) or died: find it again
        raise AssertionError('unreachable')
