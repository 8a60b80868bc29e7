"""The spool and the background sender: the training loop hands a request over and goes on.

Every request is written to `<project>/.hyperprov/hook-spool/<idempotencyKey>.json` before the
call returns (a small file, renamed into place, not fsynced: it survives the training process
dying, which is what happens in practice, at the cost of ~0.1 ms). One daemon thread sends the
spool in order, oldest first, so epoch N reaches the server before epoch N+1 (the server makes each
checkpoint depend on the previous one it got). A request leaves the spool once the server accepted
it (202: durable in the server's outbox), or when the server refused it for good (then it is moved
to `hook-spool/failed/` with the reason, and logged). While the server is unreachable the head is
retried with back-off, and at once when a new request arrives; the same idempotency key is sent
each time, so the server records it once however often it arrives.
"""
from __future__ import annotations

import atexit
import collections
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Deque, Dict, List, Optional, Set

from ._errors import HyperProvError
from ._files import STATE_DIR
from ._server import REQUEST_TIMEOUT_S, Connection

log = logging.getLogger('hyperprov')

SPOOL_DIR = 'hook-spool'
MIN_BACKOFF_S = 1.0
SNAPSHOT_WAIT_S = 30.0
MAX_BACKOFF_S = 30.0


def spool_dir(project: str) -> str:
    return os.path.join(project, STATE_DIR, SPOOL_DIR)


class EpochHandle:
    """What an epoch call returns at once; filled in by the sender when the server answers.

    `state` is 'pending' (not accepted by the server yet: in the spool), then the server's own state
    ('queued', 'snapshotted', 'committed'), or 'failed' with `error` when it was refused for good.
    """

    def __init__(self, idempotency_key: str, model: str, epoch: Optional[int], run: Optional[str], key: Optional[str]):
        self.idempotency_key = idempotency_key
        self.model = model
        self.epoch = epoch
        self.run = run
        self.key = key
        # Derived from the key as the server derives it, so status() works before the answer;
        # the server's answer, when it comes, is what is kept.
        self.entry: Optional[str] = entry_id(idempotency_key)
        self.state = 'pending'
        self.error: Optional[HyperProvError] = None
        self.record: Optional[Dict[str, Any]] = None
        self._project: Optional[str] = None
        self._quiet = False  # its caller raises the failure: logging it too would say it twice
        self._delivered = threading.Event()  # accepted or refused for good
        self._attempted = threading.Event()  # some answer (or outage) is known for it

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Waits until the server accepted (or refused) the request; True when it did in time."""
        return self._delivered.wait(timeout)

    def wait_snapshotted(self, timeout: float = 20.0) -> bool:
        """Waits until the server holds a copy of the checkpoint's bytes: call it before overwriting the file.

        True once the state is 'snapshotted' or 'committed'. Returns False at once when the server
        is known to be unreachable (waiting would only stall training; the checkpoint will then be
        reported lost if it is overwritten), when the request failed, or after `timeout` s.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self.state in ('snapshotted', 'committed'):
                return True
            if self.state == 'failed' or (self.state == 'pending' and self.error is not None):
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self.state == 'pending':
                self._attempted.wait(min(remaining, 0.05))
                continue
            try:  # accepted as 'queued': ask the server how far it got
                self.state = self.status(timeout=min(remaining, 2.0)).get('state') or self.state
            except HyperProvError:
                return False
            if self.state not in ('snapshotted', 'committed', 'failed'):
                time.sleep(min(max(0.0, deadline - time.monotonic()), 0.05))

    def status(self, timeout: float = REQUEST_TIMEOUT_S) -> Dict[str, Any]:
        """The server's view of the entry (`GET /v1/epochs/<entry>`): state, recordId, error, attempts."""
        if self.entry is None or self._project is None:
            raise HyperProvError('NOT_FOUND', 'the request was not kept for sending', 'see the log line of the call')
        return sender().connection(self._project).call('GET', f'/v1/epochs/{self.entry}', timeout=timeout, start=False)

    def __repr__(self) -> str:
        return (f'EpochHandle(entry={self.entry!r}, run={self.run!r}, key={self.key!r}, state={self.state!r}, '
                f'epoch={self.epoch!r})')


class _Job:
    __slots__ = ('project', 'body', 'path', 'handle', 'created')

    def __init__(self, project: str, body: Dict[str, Any], path: str, handle: EpochHandle, created: str):
        self.project = project
        self.body = body
        self.path = path
        self.handle = handle
        self.created = created

    @property
    def label(self) -> str:
        epoch = self.body.get('epoch')
        return f"{self.body.get('model')}" + (f' (epoch {epoch})' if epoch is not None else '')


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


class Sender:
    """One per process (a forked child makes its own: a fork copies no thread)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.owner = uuid.uuid4().hex  # tells this sender's spool files from an earlier one's in the same process
        self._cv = threading.Condition()
        self._queue: Deque[_Job] = collections.deque()
        self._queued_keys: Set[str] = set()
        self._to_scan: Set[str] = set()
        self._scanned: Set[str] = set()
        self._busy = False
        self._closed = False
        self._transient_failures = 0
        self._retry_at = 0.0
        self._backoff = 0.0
        self._outage: Optional[str] = None  # the logged outage, so it is said once, not per retry
        self._thread: Optional[threading.Thread] = None
        self._connections: Dict[str, Connection] = {}
        self._spool_dirs: Set[str] = set()
        # Entries the server accepted and has not reported committed: flush() asks about them.
        self._accepted: Dict[str, Dict[str, EpochHandle]] = {}
        # The latest request per checkpoint path: what must be safe before that file is overwritten.
        self.last_by_path: Dict[str, EpochHandle] = {}

    # ---- the caller's side ------------------------------------------------------------------

    def connection(self, project: str) -> Connection:
        with self._cv:
            connection = self._connections.get(project)
            if connection is None:
                connection = self._connections[project] = Connection(project)
            return connection

    def submit(self, project: str, body: Dict[str, Any], handle: EpochHandle) -> None:
        """Spools the request (durable before this returns) and wakes the sender."""
        key = body['idempotencyKey']
        directory = spool_dir(project)
        if directory not in self._spool_dirs:
            os.makedirs(directory, exist_ok=True)
            self._spool_dirs.add(directory)
        created = datetime.now(timezone.utc).isoformat(timespec='microseconds').replace('+00:00', 'Z')
        path = os.path.join(directory, f'{key}.json')
        document = {'version': 1, 'createdAt': created, 'pid': self.pid, 'owner': self.owner, 'body': body}
        temporary = os.path.join(directory, f'.{key}.{self.pid}.tmp')
        with open(temporary, 'w', encoding='utf-8') as file:
            json.dump(document, file, allow_nan=False, separators=(',', ':'))
        os.replace(temporary, path)  # atomic: a reader sees the whole request or none
        handle._project = project
        job = _Job(project, body, path, handle, created)
        self.last_by_path[body['model']] = handle
        with self._cv:
            self._queue.append(job)
            self._queued_keys.add(key)
            self._retry_at = 0.0  # a new call is the moment to retry what is waiting
            self._ensure_started()
            self._cv.notify_all()

    def adopt(self, project: str) -> None:
        """Sends what an earlier process left in this project's spool (flush(project=...) calls it)."""
        with self._cv:
            if project not in self._scanned:
                self._to_scan.add(project)
                self._ensure_started()
                self._cv.notify_all()

    def flush(self, timeout: float, keep_trying: bool = False) -> Dict[str, Any]:
        """Waits up to `timeout` s for the spool to be sent and the server to commit what it accepted.

        Unless keep_trying, it stops early once a send made during the flush found the server
        unreachable: the end of training or of the process should not sit out the whole timeout
        for a server that is down (the spool keeps the requests for later).
        """
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cv:
            self._retry_at = 0.0
            self._cv.notify_all()
            failures = self._transient_failures
            while (self._queue or self._busy or self._to_scan) and time.monotonic() < deadline:
                if not keep_trying and self._transient_failures != failures:
                    break
                self._cv.wait(max(0.0, min(0.5, deadline - time.monotonic())))
            unsent = [job.label for job in self._queue]
            why = self._queue[0].handle.error if self._queue else None
            accepted = {project: dict(entries) for project, entries in self._accepted.items() if entries}
        pending: List[Dict[str, Any]] = []
        failed: List[Dict[str, Any]] = []
        server_done = True
        for project, entries in accepted.items():
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                server_done = False
                pending.extend({'entry': e, 'state': h.state} for e, h in entries.items())
                continue
            try:
                # The server's wait ends a little before ours, so its answer still arrives in time.
                result = self.connection(project).call(
                    'POST', '/v1/flush', {'timeoutMs': int(max(0.0, remaining - 0.5) * 1000)},
                    timeout=remaining + 0.5, start=False)
            except HyperProvError as error:
                log.warning('hyperprov: could not ask the server to flush: %s', error)
                server_done = False
                pending.extend({'entry': e, 'state': h.state} for e, h in entries.items())
                continue
            result = result if isinstance(result, dict) else {}
            self._settle(project, entries, result)
            pending.extend(result.get('pending') or [])
            failed.extend(result.get('failed') or [])
            server_done = server_done and bool(result.get('done'))
        result = {'done': not unsent and server_done, 'unsent': unsent, 'pending': pending, 'failed': failed}
        if why is not None:
            result['error'] = why.to_json()
        return result

    def outstanding(self) -> bool:
        with self._cv:
            return bool(self._queue or self._busy or any(self._accepted.values()))

    # ---- the sender thread ------------------------------------------------------------------

    def _ensure_started(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name='hyperprov-sender', daemon=True)
            self._thread.start()
        global _ATEXIT_REGISTERED
        if not _ATEXIT_REGISTERED:
            atexit.register(_at_exit)
            _ATEXIT_REGISTERED = True

    def _close(self) -> None:
        """Stops the thread after its current request (tests use it to start each case afresh)."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()

    def _run(self) -> None:
        while True:
            scan: Optional[str] = None
            with self._cv:
                while True:
                    if self._closed:
                        return
                    if self._to_scan:
                        scan = self._to_scan.pop()
                        self._busy = True  # flush() must not see "idle" while a scan may still add work
                        break
                    if self._queue and self._queue[0].project not in self._scanned:
                        scan = self._queue[0].project
                        self._busy = True
                        break
                    now = time.monotonic()
                    if self._queue and now >= self._retry_at:
                        job = self._queue[0]
                        self._busy = True
                        break
                    self._cv.wait(None if not self._queue else self._retry_at - now)
            if scan is not None:
                try:
                    self._scan(scan)
                finally:
                    with self._cv:
                        self._busy = False
                        self._scanned.add(scan)
                        self._cv.notify_all()
                continue
            try:
                self._send(job)
            except Exception as error:  # noqa: BLE001 - a bug here must not kill the only sender
                log.error('hyperprov: internal error while sending %s: %r', job.label, error)
                with self._cv:
                    self._busy = False
                    self._backoff = min(MAX_BACKOFF_S, max(MIN_BACKOFF_S, self._backoff * 2))
                    self._retry_at = time.monotonic() + self._backoff
                    self._cv.notify_all()

    def _scan(self, project: str) -> None:
        """Queues, ahead of this process's own requests, what earlier processes left unsent."""
        directory = spool_dir(project)
        found: List[_Job] = []
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            names = []
        with self._cv:
            known = set(self._queued_keys)
        for name in names:
            if not name.endswith('.json') or name.startswith('.') or name[:-5] in known:
                continue
            path = os.path.join(directory, name)
            try:
                with open(path, encoding='utf-8') as file:
                    document = json.load(file)
                body = document['body']
                key = body['idempotencyKey']
            except (OSError, ValueError, KeyError, TypeError) as error:
                log.warning('hyperprov: ignoring unreadable spool file %s: %s', path, error)
                continue
            if document.get('owner') == self.owner:
                continue  # ours: in memory already (its file can appear a moment before it is queued)
            if document.get('pid') != self.pid and _pid_alive(document.get('pid')):
                continue  # its own process is alive and sends it
            handle = EpochHandle(key, body.get('model'), body.get('epoch'), body.get('run'), body.get('key'))
            handle._project = project
            found.append(_Job(project, body, path, handle, str(document.get('createdAt', ''))))
        found.sort(key=lambda job: job.created)
        with self._cv:
            self._scanned.add(project)
            fresh = [job for job in found if job.body['idempotencyKey'] not in self._queued_keys]
            for job in reversed(fresh):
                self._queue.appendleft(job)
                self._queued_keys.add(job.body['idempotencyKey'])
            self._cv.notify_all()
        if fresh:
            log.info('hyperprov: re-sending %d checkpoint request(s) left in %s', len(fresh), directory)

    def _send(self, job: _Job) -> None:
        body = job.body
        if 'wait' not in body:
            # This thread, not the training loop, waits until the server has copied the bytes: the
            # answer then tells the caller it may overwrite the file (EpochHandle.wait_snapshotted).
            body = dict(body, wait='snapshotted', timeoutMs=int(SNAPSHOT_WAIT_S * 1000))
        timeout = REQUEST_TIMEOUT_S
        if body.get('wait') in ('snapshotted', 'committed'):
            timeout += float(body.get('timeoutMs') or 60_000) / 1000.0
        try:
            answer = self.connection(job.project).call('POST', '/v1/epoch', body, timeout=timeout)
            error: Optional[HyperProvError] = None
        except HyperProvError as failure:
            answer, error = None, failure
        handle = job.handle
        # The spool file and the log line come first, the queue after: once flush() sees the
        # queue empty, the spool on disk is final and everything worth saying has been said.
        if error is None:
            _remove(job.path)
        elif error.permanent:
            self._give_up(job, error, quiet=handle._quiet)
        with self._cv:
            self._busy = False
            said = self._outage
            if error is None or error.permanent:
                self._queue.popleft()
                self._queued_keys.discard(body['idempotencyKey'])
                self._backoff = 0.0
                self._outage = None
                if error is None:
                    self._accept(job, answer if isinstance(answer, dict) else {})
                else:
                    handle.state, handle.error = 'failed', error
                handle._delivered.set()
            else:
                self._transient_failures += 1
                self._backoff = min(MAX_BACKOFF_S, max(MIN_BACKOFF_S, self._backoff * 2))
                self._retry_at = time.monotonic() + self._backoff
                for waiting in self._queue:  # they wait behind the head: the outage is theirs too
                    waiting.handle.error = error
                    waiting.handle._attempted.set()
                waiting_count = len(self._queue)
                if not handle._quiet:
                    self._outage = self._outage or error.code
            handle._attempted.set()
            self._cv.notify_all()
        if error is None:
            if said is not None:
                log.info('hyperprov: the project server answers again; sending the spooled checkpoints')
        elif not error.permanent and not handle._quiet:
            if said is None:
                log.warning('hyperprov: could not send checkpoint %s: %s; %d request(s) kept in %s, retrying in the background',
                            job.label, error, waiting_count, spool_dir(job.project))
            else:
                log.debug('hyperprov: still cannot send %s: %s', job.label, error)

    def _accept(self, job: _Job, answer: Dict[str, Any]) -> None:
        handle = job.handle
        handle.error = None
        handle.entry = answer.get('entry') or handle.entry
        handle.state = answer.get('state') or 'queued'
        handle.run = answer.get('run') or handle.run
        handle.key = answer.get('key') or handle.key
        handle.record = answer.get('record')
        if handle.state != 'committed' and handle.entry:
            self._accepted.setdefault(job.project, {})[handle.entry] = handle

    def _give_up(self, job: _Job, error: HyperProvError, quiet: bool = False) -> None:
        """Moves a refused request out of the way (kept for a person to look at) and says so."""
        failed_dir = os.path.join(spool_dir(job.project), 'failed')
        try:
            os.makedirs(failed_dir, exist_ok=True)
            with open(job.path, encoding='utf-8') as file:
                document = json.load(file)
            document['error'] = error.to_json()
            target = os.path.join(failed_dir, os.path.basename(job.path))
            temporary = target + '.tmp'
            with open(temporary, 'w', encoding='utf-8') as file:
                json.dump(document, file, allow_nan=False)
            os.replace(temporary, target)
            _remove(job.path)
            where = f'; the request is kept in {target}'
        except (OSError, ValueError):
            _remove(job.path)
            where = ''
        if not quiet:
            _log_refused(job.label, error, where)

    def _settle(self, project: str, entries: Dict[str, EpochHandle], result: Dict[str, Any]) -> None:
        """Updates our handles from a flush answer; a failure of one of ours is said out loud."""
        pending = {s.get('entry'): s for s in result.get('pending') or [] if isinstance(s, dict)}
        failed = {s.get('entry'): s for s in result.get('failed') or [] if isinstance(s, dict)}
        lost = []
        with self._cv:
            mine = self._accepted.get(project, {})
            for entry, handle in entries.items():
                if entry in pending:
                    handle.state = pending[entry].get('state') or handle.state
                    continue
                mine.pop(entry, None)
                if entry in failed:
                    raw = failed[entry].get('error') or {}
                    handle.state = 'failed'
                    handle.error = HyperProvError(str(raw.get('code', 'INTERNAL')), str(raw.get('message', '')),
                                                  str(raw.get('hint') or ''))
                    lost.append(handle)
                else:
                    handle.state = 'committed'
        for handle in lost:
            label = f'{handle.model}' + (f' (epoch {handle.epoch})' if handle.epoch is not None else '')
            _log_refused(label, handle.error, f' (outbox entry {handle.entry})')


def _log_refused(label: str, error: HyperProvError, where: str) -> None:
    if error.code == 'FILE_CHANGED':
        # The trainer overwrote the file before the server could copy it (usually: the server was
        # unreachable for an epoch). Those bytes are gone; recording the new ones under this epoch
        # would be wrong, so the checkpoint is lost and we say so instead of retrying.
        log.error('hyperprov: checkpoint LOST, not recorded: %s changed before the server could snapshot it '
                  '(it was overwritten, probably while the server was unreachable): %s%s', label, error, where)
    else:
        log.error('hyperprov: checkpoint not recorded: %s refused by the server: %s%s', label, error, where)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


_SENDER: Optional[Sender] = None
_ATEXIT_REGISTERED = False
_SENDER_LOCK = threading.Lock()


def sender() -> Sender:
    global _SENDER
    with _SENDER_LOCK:
        if _SENDER is None or _SENDER.pid != os.getpid():
            _SENDER = Sender()
        return _SENDER


def exit_timeout_s() -> float:
    try:
        return max(0.0, float(os.environ.get('HYPERPROV_EXIT_TIMEOUT', '10')))
    except ValueError:
        return 10.0


def _at_exit() -> None:
    """At interpreter exit: wait a bounded time, then say what is still not recorded and where it is."""
    current = _SENDER
    if current is None or current.pid != os.getpid() or not current.outstanding():
        return
    result = current.flush(exit_timeout_s())
    if result['done']:
        return
    if result['unsent']:
        log.warning('hyperprov: exiting with %d checkpoint request(s) not sent: %s; they stay in .hyperprov/%s/ '
                    'and are sent by the next hyperprov call in this project (or hyperprov.flush(project=...))',
                    len(result['unsent']), ', '.join(result['unsent']), SPOOL_DIR)
    if result['pending']:
        log.warning('hyperprov: exiting while the server still records %d checkpoint(s); they stay in its outbox '
                    'and are committed by the server (`hyperprov runs` shows them once done)', len(result['pending']))


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def entry_id(idempotency_key: str) -> str:
    """The server's outbox entry id for a key (packages/tracker epoch-entry.ts entryId), known before sending."""
    return 'e' + hashlib.sha256(idempotency_key.encode('utf-8')).hexdigest()[:24]
