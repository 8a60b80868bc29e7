"""What the client looks at on disk: the project folder, the checkpoint's size and mtime, JSON values."""
from __future__ import annotations

import math
import os
import stat as stat_module
from typing import Any, Dict, Optional

from ._errors import HyperProvError

STATE_DIR = '.hyperprov'


def find_project(start: Optional[str] = None) -> str:
    """The nearest folder at or above `start` (default HYPERPROV_PROJECT, else the working directory) holding `.hyperprov/`."""
    origin = os.path.abspath(start or os.environ.get('HYPERPROV_PROJECT') or os.getcwd())
    folder = origin
    while True:
        if os.path.isdir(os.path.join(folder, STATE_DIR)):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            raise HyperProvError('NOT_INITIALIZED', f'no HyperProv project (.hyperprov/) at or above {origin}')
        folder = parent


def mtime_ms(st: os.stat_result) -> float:
    """Node's `stat.mtimeMs` for the same file, bit for bit.

    The server compares `expect.mtimeMs` with its own stat of the checkpoint, so the float must be
    computed the way Node computes it (seconds * 1e3 + nanoseconds / 1e6), not as st_mtime * 1000,
    which rounds differently and would make every checkpoint look changed.
    """
    seconds, nanos = divmod(st.st_mtime_ns, 1_000_000_000)
    return seconds * 1e3 + nanos / 1e6


def checkpoint_expect(path: str) -> Dict[str, float]:
    """`{size, mtimeMs}` of a checkpoint file, or of a checkpoint directory (total size, newest file's mtime)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise HyperProvError('NOT_FOUND', f'checkpoint {path} does not exist') from None
    except OSError as error:
        raise HyperProvError('IO_ERROR', f'cannot stat checkpoint {path}: {error.strerror}') from None
    if not stat_module.S_ISDIR(st.st_mode):
        return {'size': st.st_size, 'mtimeMs': mtime_ms(st)}
    size = 0
    newest: Optional[os.stat_result] = None
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                file_st = os.stat(os.path.join(folder, name))
            except OSError:
                continue  # removed while we walk: the server's own check decides
            if not stat_module.S_ISREG(file_st.st_mode):
                continue
            size += file_st.st_size
            if newest is None or file_st.st_mtime_ns > newest.st_mtime_ns:
                newest = file_st
    if newest is None:
        raise HyperProvError('NOT_FOUND', f'checkpoint directory {path} holds no files yet')
    return {'size': size, 'mtimeMs': mtime_ms(newest)}


def json_value(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of metrics/params: numpy and tensor scalars become numbers, NaN a string.

    Keras logs hold numpy float32 and TensorFlow scalars, which json cannot encode, and Python's
    json writes NaN/Infinity, which JavaScript's JSON.parse rejects: the whole request would fail
    for one diverged loss. Anything else unknown becomes its str() rather than an error.
    """
    if depth > 32:
        return str(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return 'NaN'
        if math.isinf(value):
            return 'Infinity' if value > 0 else '-Infinity'
        return value
    if isinstance(value, dict):
        return {str(k): json_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_value(v, depth + 1) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    item = getattr(value, 'item', None)  # numpy scalars, 0-d arrays, torch scalars
    if callable(item):
        try:
            return json_value(item(), depth + 1)
        except Exception:  # noqa: BLE001 - a tensor with more than one element: fall through
            pass
    tolist = getattr(value, 'tolist', None)
    if callable(tolist):
        try:
            return json_value(tolist(), depth + 1)
        except Exception:  # noqa: BLE001
            pass
    for convert in (int, float):
        if hasattr(value, f'__{convert.__name__}__'):
            try:
                return json_value(convert(value), depth + 1)
            except Exception:  # noqa: BLE001
                pass
    return str(value)


def json_object(value: Any, what: str) -> Optional[Dict[str, Any]]:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise HyperProvError('INVALID_ARGUMENT', f'{what} must be a dict, not {type(value).__name__}')
    return json_value(value)
