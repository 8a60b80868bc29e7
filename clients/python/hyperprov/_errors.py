"""The one exception type of the client, and which failures are worth retrying."""
from __future__ import annotations

from typing import Any, Mapping, Optional

# Codes the client makes itself, beside the server's closed set (packages/errors): the server
# cannot report that it is unreachable, or that no project is there to talk to.
CLIENT_HINTS = {
    'SERVER_UNAVAILABLE': 'start it with `hyperprov serve --detach` in the project, or set HYPERPROV_CLI '
                          'to the hyperprov CLI so the client can start it; the request is kept in '
                          '.hyperprov/hook-spool/ and re-sent',
    'UNAUTHORIZED': 'the token in .hyperprov/server.json was refused: restart the server '
                    '(`hyperprov serve --stop`, then `hyperprov serve --detach`)',
    'NOT_INITIALIZED': 'run `hyperprov init` in the project directory, or pass project=<dir> '
                       '(or set HYPERPROV_PROJECT)',
    'INVALID_ARGUMENT': 'fix the argument and call again',
    'NOT_FOUND': 'save the checkpoint before recording it (a Keras callback goes after ModelCheckpoint '
                 'in callbacks=[...])',
    'TIMEOUT': 'the server did not answer in time; the request is kept and re-sent',
    'IO_ERROR': 'check that .hyperprov/ is writable and the disk is not full',
    'INTERNAL': 'this is a bug: report it with the log line',
}

# Codes a retry cannot fix: the same request would fail the same way (FILE_CHANGED above all:
# the bytes the caller meant are gone, so retrying forever would only hide a lost checkpoint).
PERMANENT_CODES = frozenset({
    'INVALID_ARGUMENT', 'NOT_FOUND', 'DEPENDENCY_NOT_FOUND', 'CHECKSUM_MISMATCH', 'FILE_CHANGED',
    'ALREADY_EXISTS', 'PERMISSION_DENIED', 'NOT_INITIALIZED', 'LEDGER_CORRUPT', 'ABORTED',
})


class HyperProvError(Exception):
    """A failure with the server's (or the client's) error code, message and what to do next."""

    def __init__(self, code: str, message: str, hint: Optional[str] = None, status: Optional[int] = None,
                 details: Optional[Mapping[str, Any]] = None):
        self.code = code
        self.message = message
        self.hint = hint if hint is not None else CLIENT_HINTS.get(code, '')
        self.status = status
        self.details = dict(details or {})
        super().__init__(code, message, self.hint)

    @property
    def permanent(self) -> bool:
        return self.code in PERMANENT_CODES

    def __str__(self) -> str:
        text = f'{self.code}: {self.message}'
        return f'{text} (hint: {self.hint})' if self.hint else text

    def to_json(self) -> dict:
        return {'code': self.code, 'message': self.message, 'hint': self.hint}


def from_error_document(status: int, document: Any) -> HyperProvError:
    """The server's `{ error: { code, message, hint, ... } }`, or a code guessed from the status."""
    error = document.get('error') if isinstance(document, dict) else None
    if isinstance(error, dict) and isinstance(error.get('code'), str):
        details = {k: v for k, v in error.items() if k not in ('code', 'message', 'hint')}
        code = error['code']
        if status == 401:
            # Whatever the server calls it, a refused token is the one 4xx that a re-read of
            # server.json (a restarted server has a new token) can fix.
            code = 'UNAUTHORIZED'
        # The server's own hint or none: the client's hints are about the client's own failures.
        return HyperProvError(code, str(error.get('message', '')), str(error.get('hint') or ''), status, details)
    code = {401: 'UNAUTHORIZED', 400: 'INVALID_ARGUMENT', 404: 'NOT_FOUND', 409: 'CONFLICT',
            503: 'SERVER_UNAVAILABLE', 504: 'TIMEOUT'}.get(status, 'INTERNAL' if status >= 500 else 'INVALID_ARGUMENT')
    return HyperProvError(code, f'the server answered HTTP {status} without an error document', None, status)
