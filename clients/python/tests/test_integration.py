"""The client against the REAL project server and CLI of this repository (no fakes).

`hyperprov init` makes a project; the client starts the server itself (`serve --detach`), the Keras
callback records 3 epochs of a stand-in model that overwrites one ~1 MB file in place each epoch;
the ledger, read back through the CLI, must hold 3 records with those epochs and exactly the bytes
written at each epoch. Skipped only while the CLI has no `serve` command (it comes from the
server branch).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

from helpers import CLIENT_ROOT, hyperprov, _sender, _tracker

REPO = os.path.dirname(os.path.dirname(CLIENT_ROOT))
CLI = os.path.join(REPO, 'packages', 'cli', 'bin', 'hyperprov.js')
NODE = shutil.which('node')


def cli(*args, cwd=None, check=True, timeout=120):
    process = subprocess.run([NODE, CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and process.returncode != 0:
        raise AssertionError(f'hyperprov {" ".join(args)} exited {process.returncode}:\n{process.stdout}\n{process.stderr}')
    return process


def cli_commands():
    """The command names `hyperprov --help` lists (None when the CLI cannot run at all)."""
    if NODE is None or not os.path.exists(CLI):
        return None
    process = cli('--help', check=False, timeout=60)
    if process.returncode != 0:
        return None
    return set(re.findall(r'^\s+hyperprov ([a-z-]+)', process.stdout, re.MULTILINE))


COMMANDS = cli_commands()


class OverwritingModel:
    """A stand-in Keras model: save() writes ~1 MB of new bytes to the same name (an in-place overwrite)."""

    def __init__(self):
        self.checksums = []

    def save(self, path):
        epoch = len(self.checksums)
        block = hashlib.sha256(f'epoch {epoch}'.encode()).digest()
        data = block * (1024 * 1024 // len(block)) + bytes([epoch])
        with open(path, 'r+b' if os.path.exists(path) else 'wb') as file:  # same inode every epoch
            file.seek(0)
            file.write(data)
            file.truncate()
        self.checksums.append('sha256:' + hashlib.sha256(data).hexdigest())


class RealServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A failure, not a skip: under `npm test` the CLI is built first (a dev dependency of this
        # workspace), so a missing CLI or `serve` means something is broken.
        if COMMANDS is None or 'serve' not in COMMANDS:
            raise AssertionError('the hyperprov CLI with `serve` is needed: run `npm run build` at the repository root (node must be on PATH)')

    def setUp(self):
        self.dir = os.path.realpath(tempfile.mkdtemp(prefix='hyperprov-py-int-'))
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.project = os.path.join(self.dir, 'project')
        os.makedirs(self.project)
        cli('init', cwd=self.project)
        env = dict(os.environ)
        self.addCleanup(lambda: (os.environ.clear(), os.environ.update(env)))
        for name in ('HYPERPROV_RAISE', 'HYPERPROV_RUN', 'HYPERPROV_PROJECT'):
            os.environ.pop(name, None)
        os.environ['HYPERPROV_CLI'] = CLI
        if _sender._SENDER is not None:
            _sender._SENDER._close()
        _sender._SENDER = None  # a fresh client, as in a new training process
        cwd = os.getcwd()
        os.chdir(self.project)
        self.addCleanup(os.chdir, cwd)
        self.addCleanup(lambda: cli('serve', '--stop', '--dir', self.project, check=False, timeout=60))

    def test_keras_callback_records_three_in_place_overwrites(self):
        self.assertFalse(os.path.exists(os.path.join(self.project, '.hyperprov', 'server.json')))
        os.makedirs(os.path.join(self.project, 'data', 'train'))
        with open(os.path.join(self.project, 'data', 'train', 'a.csv'), 'w', encoding='utf-8') as file:
            file.write('x,y\n1,2\n')
        model = OverwritingModel()
        path = os.path.join(self.project, 'model.keras')
        key = 'models/python-integration'
        callback = hyperprov.KerasCallback(path, save=True, key=key, params={'lr': 0.001},
                                           datasets={'train': 'data/train'}, flush_timeout=90)
        params = {'verbose': 0, 'epochs': 3, 'steps': 2}
        callback.set_model(model)
        callback.set_params(params)
        callback.on_train_begin({})
        for epoch in range(3):
            callback.on_epoch_begin(epoch, {})
            for step in range(2):
                callback.on_train_batch_begin(step, logs={})
                callback.on_train_batch_end(step, logs={'loss': 1.0})
            callback.on_epoch_end(epoch, {'loss': 1.0 / (epoch + 1), 'accuracy': 0.5 + epoch / 10})
        callback.on_train_end({})

        self.assertTrue(os.path.exists(os.path.join(self.project, '.hyperprov', 'server.json')),
                        'the client did not start the server')
        result = hyperprov.flush(60)
        self.assertTrue(result['done'], result)
        self.assertEqual([h.state for h in callback.handles], ['committed'] * 3)
        self.assertEqual(os.listdir(os.path.join(self.project, '.hyperprov', 'hook-spool')), [])

        history = json.loads(cli('history', key, '--json', cwd=self.project).stdout)
        records = sorted(history['items'], key=lambda r: r['meta']['epoch'])
        self.assertEqual([r['meta']['epoch'] for r in records], [1, 2, 3])
        self.assertEqual([r['checksum'] for r in records], model.checksums)
        self.assertEqual(len(set(model.checksums)), 3)
        self.assertEqual({r['meta'].get('run') for r in records}, {_tracker.default_run()})
        self.assertEqual([r['meta'].get('entry') for r in records], [h.entry for h in callback.handles])
        self.assertEqual(records[0]['meta']['metrics'], {'loss': 1.0, 'accuracy': 0.5})
        self.assertEqual(records[0]['meta']['params'], {'epochs': 3, 'steps': 2, 'lr': 0.001})
        # Dependencies: the train manifest, and from epoch 2 on the run's previous checkpoint.
        manifest = set(records[0]['dependencies'])
        self.assertEqual(len(manifest), 1)
        for previous, record in zip(records, records[1:]):
            self.assertEqual(set(record['dependencies']), manifest | {previous['id']})

        runs = json.loads(cli('runs', '--json', cwd=self.project).stdout)
        (run,) = [r for r in runs['items'] if r['run'] == _tracker.default_run()]
        self.assertEqual((run['epochs'], run['keys'], run.get('lastEpoch')), (3, [key], 3))
        cli('serve', '--stop', '--dir', self.project, cwd=self.project)

    def test_a_request_left_by_a_killed_training_process_is_recorded_once_by_the_next(self):
        path = os.path.join(self.project, 'model.pt')
        with open(path, 'wb') as file:
            file.write(os.urandom(512 * 1024))
        with open(path, 'rb') as file:
            checksum = 'sha256:' + hashlib.sha256(file.read()).hexdigest()
        key = 'models/python-killed'
        # epoch() returns, then the process dies at once (SIGKILL: no atexit, no sender thread).
        script = ('import os, signal, sys; sys.path.insert(0, sys.argv[1]); import hyperprov;'
                  'h = hyperprov.epoch(sys.argv[2], epoch=5, key=sys.argv[3], run="run-killed");'
                  'print(h.idempotency_key, flush=True); os.kill(os.getpid(), signal.SIGKILL)')
        process = subprocess.run([sys.executable, '-c', script, CLIENT_ROOT, path, key], cwd=self.project,
                                 capture_output=True, text=True, timeout=60)
        self.assertEqual(process.returncode, -signal.SIGKILL, process.stderr)
        idempotency_key = process.stdout.strip()
        spool = os.path.join(self.project, '.hyperprov', 'hook-spool')
        self.assertEqual(os.listdir(spool), [f'{idempotency_key}.json'])

        result = hyperprov.flush(60, project=self.project)
        self.assertTrue(result['done'], result)
        self.assertEqual(os.listdir(spool), [])
        self.assertEqual(hyperprov.flush(10, project=self.project)['unsent'], [])  # nothing left to send again
        history = json.loads(cli('history', key, '--json', cwd=self.project).stdout)
        self.assertEqual([(r['meta']['epoch'], r['meta']['run'], r['checksum']) for r in history['items']],
                         [(5, 'run-killed', checksum)])
        cli('serve', '--stop', '--dir', self.project, cwd=self.project)


if __name__ == '__main__':
    unittest.main()
