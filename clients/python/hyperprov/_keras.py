"""A Keras callback that imports no framework: Keras calls methods by name, it does not need the base class.

What Keras' CallbackList does with a callback object (read from keras 3 `callback_list.py` and
tf.keras 2 `callbacks.py`):
- Keras 3 calls set_model / set_params on each one, then the on_* hooks; it checks
  `utils.is_default(cbk.on_*_batch_end)` (a `_is_default` attribute on the method) and dispatches
  batch hooks on a thread pool only when every callback's batch hooks are the defaults, so ours
  carry that mark: a no-op hook must not switch off Keras' asynchronous batch logging.
- tf.keras 2 calls `cb._implements_train_batch_hooks()` (and test, predict) to decide whether to
  call batch hooks at all (returning False spares the per-batch tensor-to-numpy conversion), and
  reads `_supports_tf_logs` (False: logs arrive as numpy/python values, which we can serialise).
"""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, Mapping, Optional, Tuple

from ._tracker import Tracker, protect

log = logging.getLogger('hyperprov')


def _default_hook(method):
    """Marks a no-op hook the way keras.src.utils.default does, so Keras 3 sees it as not overridden."""
    method._is_default = True
    return method


class KerasCallback:
    """Records `filepath` after every epoch: ``model.fit(..., callbacks=[checkpoint, hyperprov.KerasCallback(path)])``.

    Put it after the ModelCheckpoint that writes `filepath` (Keras runs callbacks in list order),
    or pass save=True to have it call ``self.model.save(filepath)`` itself. `filepath` may hold
    ModelCheckpoint's placeholders (``'ckpt-{epoch:02d}.keras'``), filled the same way.
    The epoch recorded is Keras' 1-based one, as in its progress bar and ModelCheckpoint's names.
    """

    # Keras 3 reads this before dispatching batch hooks on a thread: our batch hooks do nothing.
    async_safe = True
    _supports_tf_logs = False

    def __init__(self, filepath: Any, *, datasets: Optional[Mapping[str, str]] = None,
                 params: Optional[Mapping[str, Any]] = None, run: Optional[str] = None, key: Optional[str] = None,
                 meta: Optional[Mapping[str, Any]] = None, project: Optional[str] = None, save: bool = False,
                 flush_timeout: float = 60.0, raise_errors: Optional[bool] = None,
                 tracker: Optional[Tracker] = None):
        self.filepath = os.fspath(filepath)
        self.save = save
        self.flush_timeout = flush_timeout
        if tracker is None:
            self.tracker = Tracker(project, run=run, key=key, params=params, datasets=datasets, meta=meta,
                                   raise_errors=raise_errors)
        else:
            # Arguments given with a tracker (Tracker.keras_callback) refine it for this callback only.
            self.tracker = Tracker(project or tracker.project, run=run or tracker.run, key=key or tracker.key,
                                   params={**tracker.params, **(params or {})},
                                   datasets={**tracker.datasets, **(datasets or {})},
                                   meta={**tracker.meta, **(meta or {})},
                                   raise_errors=tracker.raise_errors if raise_errors is None else raise_errors)
        self.model: Any = None
        self.params: Dict[str, Any] = {}
        self.handles = []
        self._last_recorded: Optional[Tuple[str, int, int]] = None
        self._warned_missing = False

    # ---- what Keras calls ---------------------------------------------------------------------

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params or {})

    def on_train_begin(self, logs: Optional[Mapping[str, Any]] = None) -> None:
        self._last_recorded = None

    def on_epoch_begin(self, epoch: int, logs: Optional[Mapping[str, Any]] = None) -> None:
        if not self.save and '{' not in self.filepath:
            # ModelCheckpoint will overwrite the file at this epoch's end, before our on_epoch_end:
            # this is the last moment to make sure the server copied the previous epoch's bytes.
            protect(self.filepath)

    def on_epoch_end(self, epoch: int, logs: Optional[Mapping[str, Any]] = None) -> None:
        logs = dict(logs or {})
        path = self._path(epoch, logs)
        if path is None:
            return
        if self.save:
            protect(path)  # the server must hold last epoch's bytes before we overwrite them
            try:
                self.model.save(path)
            except Exception as error:  # noqa: BLE001 - our save, our failure: logged, unless raise_errors
                if self.tracker._raises(None):
                    raise
                log.warning('hyperprov: model.save(%r) failed, epoch %d not recorded: %r', path, epoch + 1, error)
                return
        try:
            st = os.stat(path)
        except OSError:
            if not self._warned_missing:
                self._warned_missing = True
                log.warning('hyperprov: %s does not exist at the end of epoch %d: put KerasCallback after the '
                            'ModelCheckpoint that writes it, or pass save=True', path, epoch + 1)
            return
        stamp = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
        if stamp == self._last_recorded:
            # ModelCheckpoint(save_best_only=True) or a save_freq in batches leaves the file as it
            # was: the same bytes are already recorded, a record per epoch would only repeat them.
            log.debug('hyperprov: %s unchanged since the last epoch; not recorded again', path)
            return
        params = {**self._keras_params(), **self.tracker.params}
        handle = self.tracker.epoch(path, epoch=epoch + 1, metrics=logs, params=params)
        if handle is not None:
            self._last_recorded = stamp
            self.handles.append(handle)

    def on_train_end(self, logs: Optional[Mapping[str, Any]] = None) -> None:
        if self.handles:
            self.tracker.flush(self.flush_timeout)

    # Batch, test and predict hooks: Keras calls them; nothing to record there.
    @_default_hook
    def on_batch_begin(self, batch, logs=None): pass

    @_default_hook
    def on_batch_end(self, batch, logs=None): pass

    @_default_hook
    def on_train_batch_begin(self, batch, logs=None): pass

    @_default_hook
    def on_train_batch_end(self, batch, logs=None): pass

    @_default_hook
    def on_test_batch_begin(self, batch, logs=None): pass

    @_default_hook
    def on_test_batch_end(self, batch, logs=None): pass

    @_default_hook
    def on_predict_batch_begin(self, batch, logs=None): pass

    @_default_hook
    def on_predict_batch_end(self, batch, logs=None): pass

    def on_test_begin(self, logs=None): pass

    def on_test_end(self, logs=None): pass

    def on_predict_begin(self, logs=None): pass

    def on_predict_end(self, logs=None): pass

    def _implements_train_batch_hooks(self) -> bool:
        return False

    def _implements_test_batch_hooks(self) -> bool:
        return False

    def _implements_predict_batch_hooks(self) -> bool:
        return False

    # ---- helpers ------------------------------------------------------------------------------

    def _path(self, epoch: int, logs: Dict[str, Any]) -> Optional[str]:
        if '{' not in self.filepath:
            return self.filepath
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)  # as ModelCheckpoint fills it
        except (KeyError, IndexError, ValueError) as error:
            log.warning('hyperprov: cannot fill filepath %r for epoch %d: %r', self.filepath, epoch + 1, error)
            return None

    def _keras_params(self) -> Dict[str, Any]:
        # Keras' own: epochs, steps, verbose. verbose says nothing about the run.
        return {name: value for name, value in self.params.items() if name != 'verbose'}
