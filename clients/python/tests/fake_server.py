"""A stand-in for the project server's HTTP API (`hyperprov serve`), for the unit tests.

It speaks the same JSON as the real one: bearer token, /v1/health, POST /v1/epoch (202, deduped by
idempotencyKey, FILE_CHANGED when the checkpoint no longer matches `expect`, as the real server
does when it snapshots), GET /v1/epochs/<entry>, POST /v1/flush. It records every request so tests
can look at what the client sent. Run as a script (`fake_server.py <project> [requests.jsonl]`)
it serves one project until killed, like `hyperprov serve` does.
"""
from __future__ import annotations

import hashlib
import http.server
import json
import os
import secrets
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

Reply = Optional[Tuple[int, Any]]


def node_mtime_ms(st: os.stat_result) -> float:
    seconds, nanos = divmod(st.st_mtime_ns, 1_000_000_000)
    return seconds * 1e3 + nanos / 1e6


def error_doc(code: str, message: str, hint: str = 'do something') -> Dict[str, Any]:
    return {'error': {'code': code, 'message': message, 'hint': hint, 'exitCode': 2}}


class FakeServer:
    def __init__(self, project: str, token: Optional[str] = None, log_path: Optional[str] = None):
        self.project = project
        self.token = token or secrets.token_hex(16)
        self.requests: List[Dict[str, Any]] = []
        self.entries: Dict[str, Dict[str, Any]] = {}
        self.by_key: Dict[str, str] = {}
        # Test hooks: a function of the request body answering (status, document), or None for the
        # normal behaviour; and a delay before every POST /v1/epoch answer.
        self.on_epoch: Optional[Callable[[Dict[str, Any]], Reply]] = None
        self.epoch_delay = 0.0
        self.check_expect = True
        self.flush_reply: Optional[Dict[str, Any]] = None
        self.log_path = log_path
        self._lock = threading.Lock()
        self._httpd: Optional[http.server.ThreadingHTTPServer] = None

    @property
    def epoch_posts(self) -> List[Dict[str, Any]]:
        return [r['body'] for r in self.requests
                if r['method'] == 'POST' and r['path'] == '/v1/epoch' and r['authorized']]

    def start(self, write_file: bool = True) -> 'FakeServer':
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self, method: str) -> None:
                length = int(self.headers.get('Content-Length') or 0)
                raw = self.rfile.read(length) if length else b''
                body = json.loads(raw) if raw else None
                authorized = self.headers.get('Authorization') == f'Bearer {server.token}'
                record = {'method': method, 'path': self.path, 'auth': self.headers.get('Authorization'),
                          'authorized': authorized, 'body': body, 'at': time.time()}
                with server._lock:
                    server.requests.append(record)
                    if server.log_path:
                        with open(server.log_path, 'a', encoding='utf-8') as file:
                            file.write(json.dumps(record) + '\n')
                if not authorized:
                    return self._send(401, error_doc('PERMISSION_DENIED', 'missing or wrong token'))
                status, document = server.answer(method, self.path, body)
                self._send(status, document)

            def _send(self, status: int, document: Any) -> None:
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle('GET')

            def do_POST(self) -> None:
                self._handle('POST')

        self._httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        if write_file:
            self.write_server_file()
        return self

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f'http://127.0.0.1:{self._httpd.server_address[1]}'

    def write_server_file(self) -> None:
        state = os.path.join(self.project, '.hyperprov')
        os.makedirs(state, exist_ok=True)
        path = os.path.join(state, 'server.json')
        info = {'url': self.url, 'host': '127.0.0.1', 'port': self._httpd.server_address[1], 'pid': os.getpid(),
                'token': self.token, 'version': '0.0.0-fake', 'startedAt': time.strftime('%Y-%m-%dT%H:%M:%SZ')}
        with open(path + '.tmp', 'w', encoding='utf-8') as file:
            json.dump(info, file)
        os.chmod(path + '.tmp', 0o600)
        os.replace(path + '.tmp', path)

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def answer(self, method: str, path: str, body: Any) -> Tuple[int, Any]:
        if method == 'GET' and path == '/v1/health':
            return 200, {'ok': True, 'pid': os.getpid(), 'projectDir': self.project, 'version': '0.0.0-fake'}
        if method == 'POST' and path == '/v1/epoch':
            if self.epoch_delay:
                time.sleep(self.epoch_delay)
            if self.on_epoch is not None:
                reply = self.on_epoch(body)
                if reply is not None:
                    return reply
            return self._epoch(body)
        if method == 'GET' and path.startswith('/v1/epochs/'):
            entry = self.entries.get(path[len('/v1/epochs/'):])
            return (200, entry) if entry else (404, error_doc('NOT_FOUND', 'no such entry'))
        if method == 'POST' and path == '/v1/flush':
            return 200, self.flush_reply or {'done': True, 'pending': [], 'failed': []}
        return 404, error_doc('NOT_FOUND', f'no route {method} {path}')

    def _epoch(self, body: Dict[str, Any]) -> Tuple[int, Any]:
        with self._lock:
            known = self.by_key.get(body.get('idempotencyKey'))
            if known:
                return 202, self.entries[known]  # a retry: the first call's entry, not a second one
            expect = body.get('expect')
            if self.check_expect and expect and os.path.isfile(body['model']):
                st = os.stat(body['model'])
                if st.st_size != expect['size'] or node_mtime_ms(st) != expect['mtimeMs']:
                    return 409, error_doc('FILE_CHANGED', f"{body['model']} changed since the request was made",
                                          'the file changed while it was read')
            entry = 'e' + hashlib.sha256(body['idempotencyKey'].encode()).hexdigest()[:24]  # as the tracker does
            state = 'snapshotted' if body.get('wait') in ('snapshotted', 'committed') else 'queued'
            status = {'entry': entry, 'run': body.get('run'), 'key': body.get('key') or 'models/default',
                      'state': state, 'attempts': 0}
            self.entries[entry] = status
            self.by_key[body.get('idempotencyKey')] = entry
            return 202, status


if __name__ == '__main__':
    # Standalone, for the fake CLI: serve the project until killed.
    fake = FakeServer(os.path.abspath(sys.argv[1]), log_path=sys.argv[2] if len(sys.argv) > 2 else None)
    fake.start()
    print(fake.url, flush=True)
    threading.Event().wait()
