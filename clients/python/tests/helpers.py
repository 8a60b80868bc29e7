"""Shared set-up: a temporary project with `.hyperprov/`, a fresh client state per test, waiting helpers."""
from __future__ import annotations

import glob
import os
import shutil
import sys
import tempfile
import time
import unittest
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ROOT = os.path.dirname(HERE)
if CLIENT_ROOT not in sys.path:
    sys.path.insert(0, CLIENT_ROOT)

import hyperprov  # noqa: E402
from hyperprov import _sender, _tracker  # noqa: E402

# Whatever a test leaves unsent must not hold up the test process at exit (atexit flush).
os.environ['HYPERPROV_EXIT_TIMEOUT'] = '0'

FAKE_CLI = os.path.join(HERE, 'fake_cli.py')


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = 'condition') -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f'timed out after {timeout} s waiting for {what}')


class ProjectTestCase(unittest.TestCase):
    """A project folder per test, and a client that forgets everything between tests."""

    def setUp(self) -> None:
        self.dir = os.path.realpath(tempfile.mkdtemp(prefix='hyperprov-py-'))
        self.project = os.path.join(self.dir, 'project')
        os.makedirs(os.path.join(self.project, '.hyperprov'))
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.addCleanup(self._stop_sender)  # cleanups run last-in first-out: the sender stops before rmtree
        self._env = dict(os.environ)
        self.addCleanup(self._restore_env)
        for name in ('HYPERPROV_RAISE', 'HYPERPROV_RUN', 'HYPERPROV_PROJECT', 'HYPERPROV_START_TIMEOUT'):
            os.environ.pop(name, None)
        # No real CLI: a test that wants a server start sets HYPERPROV_CLI to the fake one.
        os.environ['HYPERPROV_CLI'] = os.path.join(self.dir, 'no-such-cli')
        if _sender._SENDER is not None:
            _sender._SENDER._close()  # the last test's retries must not reach this test's server
        _sender._SENDER = None
        self._backoff = _sender.MIN_BACKOFF_S
        _sender.MIN_BACKOFF_S = 0.05
        self.addCleanup(setattr, _sender, 'MIN_BACKOFF_S', self._backoff)
        cwd = os.getcwd()
        os.chdir(self.project)
        self.addCleanup(os.chdir, cwd)

    @staticmethod
    def _stop_sender() -> None:
        current = _sender._SENDER
        if current is not None:
            current._close()
            if current._thread is not None:
                current._thread.join(5)  # a request in flight finishes (and writes its files) first

    def _restore_env(self) -> None:
        os.environ.clear()
        os.environ.update(self._env)

    def checkpoint(self, name: str = 'model.bin', data: bytes = b'weights-1') -> str:
        path = os.path.join(self.project, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as file:
            file.write(data)
        return path

    def spooled(self):
        return sorted(glob.glob(os.path.join(self.project, '.hyperprov', 'hook-spool', '*.json')))

    def failed_spool(self):
        return sorted(glob.glob(os.path.join(self.project, '.hyperprov', 'hook-spool', 'failed', '*.json')))

    @staticmethod
    def read_json(path):
        import json

        with open(path, encoding='utf-8') as file:
            return json.load(file)

    def fake_server(self, **kwargs):
        from fake_server import FakeServer

        server = FakeServer(self.project, **kwargs).start()
        self.addCleanup(server.stop)
        return server


__all__ = ['hyperprov', 'ProjectTestCase', 'wait_until', 'FAKE_CLI', 'HERE', 'CLIENT_ROOT', '_sender', '_tracker']
