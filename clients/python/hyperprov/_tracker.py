"""The epoch hook: `epoch()`, the `Tracker` that holds a run's settings, `flush()`, the PyTorch helper."""
from __future__ import annotations

import logging
import os
import secrets
import threading
from datetime import datetime, timezone
from typing import Any, Dict, Mapping, Optional

from ._errors import HyperProvError
from ._files import checkpoint_expect, find_project, json_object, json_value
from ._sender import SNAPSHOT_WAIT_S, EpochHandle, exit_timeout_s, new_idempotency_key, sender
from ._server import REQUEST_TIMEOUT_S, start_timeout_s

log = logging.getLogger('hyperprov')

WAIT_STATES = ('queued', 'snapshotted', 'committed')

_RUN_LOCK = threading.Lock()
_PROCESS_RUN: Optional[str] = None


def default_run() -> str:
    """This process's run id: $HYPERPROV_RUN, else `run-<UTC yyyymmddThhmmss>Z-<4 hex>` made once.

    The same shape as the JS tracker's makeRunId, so runs from both sort and read alike.
    """
    global _PROCESS_RUN
    configured = os.environ.get('HYPERPROV_RUN')
    if configured:
        return configured
    with _RUN_LOCK:
        if _PROCESS_RUN is None:
            stamp = datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')
            _PROCESS_RUN = f'run-{stamp}-{secrets.token_hex(2)}'
        return _PROCESS_RUN


def raise_by_default() -> bool:
    return os.environ.get('HYPERPROV_RAISE', '').strip().lower() in ('1', 'true', 'yes', 'on')


def _merged(base: Optional[Mapping[str, Any]], extra: Optional[Mapping[str, Any]], what: str) -> Optional[Dict[str, Any]]:
    if base is None and extra is None:
        return None
    merged: Dict[str, Any] = dict(json_object(base, what) or {})
    merged.update(json_object(extra, what) or {})
    return merged


def _epoch_number(epoch: Any) -> Optional[int]:
    if epoch is None:
        return None
    value = json_value(epoch)  # numpy integers become int
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HyperProvError('INVALID_ARGUMENT', f'epoch must be a whole number >= 0, not {epoch!r}')
    return value


class Tracker:
    """A training run's settings: project, run id, model key, params and datasets, shared by every epoch.

    ``tracker = hyperprov.Tracker(params={'lr': 1e-3}, datasets={'train': 'data/train'})``, then
    ``tracker.epoch('out/model.pt', epoch=e, metrics={'loss': loss})`` after each epoch.
    """

    def __init__(self, project: Optional[str] = None, *, run: Optional[str] = None, key: Optional[str] = None,
                 params: Optional[Mapping[str, Any]] = None, datasets: Optional[Mapping[str, str]] = None,
                 meta: Optional[Mapping[str, Any]] = None, raise_errors: Optional[bool] = None):
        # Nothing here looks at the disk or can fail: a tracker made at the top of a training script
        # must not stop it; the project is looked up at the first epoch.
        self.project = project
        self.run = run or default_run()
        self.key = key
        self.params = dict(params or {})
        self.datasets = dict(datasets or {})
        self.meta = dict(meta or {})
        self.raise_errors = raise_errors
        self._project_dir: Optional[str] = None

    def _raises(self, override: Optional[bool]) -> bool:
        if override is not None:
            return override
        if self.raise_errors is not None:
            return self.raise_errors
        return raise_by_default()

    def project_dir(self) -> str:
        if self._project_dir is None:
            self._project_dir = find_project(self.project)
        return self._project_dir

    def epoch(self, model: Any, *, epoch: Any = None, metrics: Optional[Mapping[str, Any]] = None,
              params: Optional[Mapping[str, Any]] = None, datasets: Optional[Mapping[str, str]] = None,
              meta: Optional[Mapping[str, Any]] = None, key: Optional[str] = None, wait: Optional[str] = None,
              timeout: Optional[float] = None, raise_errors: Optional[bool] = None) -> Optional[EpochHandle]:
        """Records checkpoint `model` (a file or a checkpoint directory) as it is now.

        Returns at once with a handle (the request is in the spool; a background thread sends it),
        or None when nothing could be kept (no project, no such file): that is logged, not raised,
        unless raise_errors (or HYPERPROV_RAISE=1). With raise_errors or wait, the call waits for the
        server's answer; wait='snapshotted' or 'committed' waits for that state (up to `timeout` s).
        """
        raises = self._raises(raise_errors)
        label = str(model)
        try:
            handle = self._submit(model, epoch, metrics, params, datasets, meta, key, wait, timeout, raises)
        except HyperProvError as error:
            if raises:
                raise
            log.warning('hyperprov: checkpoint %s not recorded: %s', label, error)
            return None
        except Exception as error:  # noqa: BLE001 - never into the training loop, unless asked
            wrapped = HyperProvError('INTERNAL', f'unexpected {type(error).__name__}: {error}')
            if raises:
                raise wrapped from error
            log.error('hyperprov: checkpoint %s not recorded: %s', label, wrapped)
            return None
        if not raises and wait is None:
            return handle
        # Waiting: the server's answer is needed to raise it (or to report the state waited for).
        bound = start_timeout_s() + REQUEST_TIMEOUT_S + SNAPSHOT_WAIT_S + 5.0
        if wait in ('snapshotted', 'committed'):
            bound += timeout if timeout is not None else 60.0
        if not handle._attempted.wait(bound):
            handle.error = handle.error or HyperProvError('TIMEOUT', f'no answer for {label} within {bound:g} s')
        if raises and handle.state in ('pending', 'failed') and handle.error is not None:
            # A transient failure leaves the request in the spool: it is still re-sent (same key).
            raise handle.error
        return handle

    record_checkpoint = epoch

    def _submit(self, model: Any, epoch: Any, metrics: Any, params: Any, datasets: Any, meta: Any,
                key: Optional[str], wait: Optional[str], timeout: Optional[float], raises: bool) -> EpochHandle:
        if wait is not None and wait not in WAIT_STATES:
            raise HyperProvError('INVALID_ARGUMENT', f"wait must be one of {', '.join(WAIT_STATES)}, not {wait!r}")
        try:
            model_path = os.path.abspath(os.fspath(model))
        except TypeError:
            raise HyperProvError('INVALID_ARGUMENT', f'model must be a path, not {type(model).__name__}') from None
        project = self.project_dir()
        # The stat comes first and as early as possible: it is the promise of which bytes to record.
        expect = checkpoint_expect(model_path)
        cwd = os.getcwd()
        body: Dict[str, Any] = {'model': model_path, 'cwd': cwd, 'expect': expect, 'run': self.run,
                                'idempotencyKey': new_idempotency_key()}
        number = _epoch_number(epoch)
        if number is not None:
            body['epoch'] = number
        chosen_key = key or self.key
        if chosen_key:
            body['key'] = str(chosen_key)
        if metrics is not None:
            body['metrics'] = json_object(metrics, 'metrics')
        merged_params = _merged(self.params, params, 'params')
        if merged_params:
            body['params'] = merged_params
        merged_datasets = _merged(self.datasets, datasets, 'datasets')
        if merged_datasets:
            body['datasets'] = {name: _dataset_ref(value, cwd) for name, value in merged_datasets.items()}
        merged_meta = _merged(self.meta, meta, 'meta')
        if merged_meta:
            body['meta'] = merged_meta
        if wait is not None:
            body['wait'] = wait
            if timeout is not None:
                body['timeoutMs'] = int(timeout * 1000)
        handle = EpochHandle(body['idempotencyKey'], model_path, number, self.run, body.get('key'))
        handle._quiet = raises
        try:
            sender().submit(project, body, handle)
        except OSError as error:
            raise HyperProvError('IO_ERROR', f'cannot write the request to the spool: {error}') from None
        return handle

    def flush(self, timeout: float = 30.0, keep_trying: bool = False) -> Dict[str, Any]:
        """Waits up to `timeout` s for this process's requests to be sent and committed; see hyperprov.flush."""
        return flush(timeout, project=self._project_dir or self.project, keep_trying=keep_trying)

    def torch_save(self, obj: Any, path: Any, *, epoch: Any, metrics: Optional[Mapping[str, Any]] = None,
                   **kwargs: Any) -> Optional[EpochHandle]:
        """`torch.save(obj, path)`, then records `path`. torch is imported only here."""
        import torch  # noqa: PLC0415 - lazily: the client must import without any framework

        protect(path)  # the previous epoch's bytes under this name must be safe before torch.save truncates it
        # A failing torch.save raises as it would without us: the caller must know the file is not there.
        torch.save(obj, path)
        return self.epoch(path, epoch=epoch, metrics=metrics, **kwargs)

    def keras_callback(self, filepath: str, *, save: bool = False, **kwargs: Any):
        from ._keras import KerasCallback  # noqa: PLC0415

        return KerasCallback(filepath, save=save, tracker=self, **kwargs)


def _dataset_ref(value: Any, cwd: str) -> str:
    """A dataset directory becomes an absolute path; anything else is a record id or key, sent as is."""
    text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    candidate = text if os.path.isabs(text) else os.path.join(cwd, text)
    return os.path.abspath(candidate) if os.path.isdir(candidate) else text


Run = Tracker


def snapshot_wait_s() -> float:
    try:
        return max(0.0, float(os.environ.get('HYPERPROV_SNAPSHOT_WAIT', '20')))
    except ValueError:
        return 20.0


def protect(path: Any) -> None:
    """Before overwriting `path`: waits (bounded) until the server copied the bytes last recorded from it.

    A checkpoint saved to the same name every epoch (Keras, torch.save) is overwritten by the next
    save; the server must have its snapshot by then, or it refuses the stale request (FILE_CHANGED)
    and that epoch is lost. Usually the snapshot was taken long before and this returns at once; it
    does not wait while the server is known to be unreachable, so an outage never stalls training.
    """
    try:
        handle = sender().last_by_path.get(os.path.abspath(os.fspath(path)))
    except TypeError:
        return
    if handle is None or handle.state in ('snapshotted', 'committed', 'failed'):
        return
    bound = snapshot_wait_s()
    if not handle.wait_snapshotted(bound) and handle.state not in ('failed',) and handle.error is None:
        log.warning('hyperprov: the server has not copied %s (epoch %s) within %g s; overwriting it now may lose '
                    'that checkpoint (HYPERPROV_SNAPSHOT_WAIT sets the wait)', handle.model, handle.epoch, bound)


def epoch(model: Any, *, epoch: Any = None, metrics: Optional[Mapping[str, Any]] = None,
          params: Optional[Mapping[str, Any]] = None, datasets: Optional[Mapping[str, str]] = None,
          run: Optional[str] = None, key: Optional[str] = None, meta: Optional[Mapping[str, Any]] = None,
          project: Optional[str] = None, wait: Optional[str] = None, timeout: Optional[float] = None,
          raise_errors: bool = False) -> Optional[EpochHandle]:
    """Records one checkpoint; see Tracker.epoch. Never raises unless raise_errors (or HYPERPROV_RAISE=1)."""
    tracker = Tracker(project, run=run, key=key, params=params, datasets=datasets, meta=meta,
                      raise_errors=True if raise_errors else None)
    return tracker.epoch(model, epoch=epoch, metrics=metrics, wait=wait, timeout=timeout)


record_checkpoint = epoch


def torch_save(obj: Any, path: Any, *, epoch: Any, metrics: Optional[Mapping[str, Any]] = None,
               **kwargs: Any) -> Optional[EpochHandle]:
    """`torch.save(obj, path)`, then `hyperprov.epoch(path, epoch=..., metrics=..., **kwargs)`."""
    tracker_kwargs = {name: kwargs.pop(name) for name in ('project', 'run', 'key', 'params', 'datasets', 'meta')
                      if name in kwargs}
    raise_errors = kwargs.pop('raise_errors', False)
    tracker = Tracker(tracker_kwargs.pop('project', None), raise_errors=True if raise_errors else None, **tracker_kwargs)
    return tracker.torch_save(obj, path, epoch=epoch, metrics=metrics, **kwargs)


def flush(timeout: float = 30.0, *, project: Optional[str] = None, keep_trying: bool = False) -> Dict[str, Any]:
    """Waits up to `timeout` s until this process's requests reached the server and it committed them.

    With `project`, first picks up what earlier processes left in that project's spool. Returns
    `{done, unsent, pending, failed, error?}`: unsent are still in the spool (kept for the next
    run), pending/failed are the server's outbox entries (POST /v1/flush), error says why the
    spool could not be sent. It returns early when the server turns out unreachable, unless
    keep_trying (then it retries with back-off until the timeout). Never raises.
    """
    current = sender()
    if project is not None:
        try:
            current.adopt(find_project(project))
        except HyperProvError as error:
            log.warning('hyperprov: flush: %s', error)
    result = current.flush(timeout, keep_trying=keep_trying)
    if not result['done']:
        log.warning('hyperprov: flush timed out after %g s: %d request(s) not sent, %d not committed yet',
                    timeout, len(result['unsent']), len(result['pending']))
    return result


__all__ = ['Tracker', 'Run', 'epoch', 'record_checkpoint', 'torch_save', 'flush', 'default_run', 'exit_timeout_s']
