"""hyperprov.epoch / Tracker against the fake server: what is sent, spooling, retries, errors."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import uuid

from helpers import CLIENT_ROOT, ProjectTestCase, _sender, hyperprov, wait_until
from fake_server import error_doc


class FakeScalar:
    """Like a numpy float32 in Keras logs: not a float, but has item()."""

    def __init__(self, value):
        self.value = value

    def item(self):
        return self.value


class RequestContent(ProjectTestCase):
    def test_sends_the_token_and_the_epoch_input_fields(self):
        server = self.fake_server()
        model = self.checkpoint('out/model.bin', b'x' * 1234)
        os.makedirs(os.path.join(self.project, 'data', 'train'))
        st = os.stat(model)
        handle = hyperprov.epoch('out/model.bin', epoch=3, metrics={'loss': FakeScalar(0.5), 'acc': 0.75},
                                 params={'lr': 0.001}, datasets={'train': 'data/train', 'test': 'datasets/test'},
                                 run='run-a', key='models/m', meta={'note': 'n'})
        self.assertIsNotNone(handle)
        self.assertTrue(hyperprov.flush(5)['done'])
        (request,) = [r for r in server.requests if r['path'] == '/v1/epoch']
        self.assertEqual(request['auth'], f'Bearer {server.token}')
        body = request['body']
        self.assertEqual(body['model'], model)  # absolute, though given relative
        self.assertEqual(body['cwd'], self.project)
        self.assertEqual(body['expect'], {'size': 1234, 'mtimeMs': st.st_mtime_ns // 10**9 * 1e3 + st.st_mtime_ns % 10**9 / 1e6})
        self.assertEqual(body['epoch'], 3)
        self.assertEqual(body['metrics'], {'loss': 0.5, 'acc': 0.75})
        self.assertEqual(body['params'], {'lr': 0.001})
        # A directory becomes an absolute path; anything else is a record id or key, sent unchanged.
        self.assertEqual(body['datasets'], {'train': os.path.join(self.project, 'data', 'train'), 'test': 'datasets/test'})
        self.assertEqual((body['run'], body['key'], body['meta']), ('run-a', 'models/m', {'note': 'n'}))
        self.assertEqual(str(uuid.UUID(body['idempotencyKey'])), body['idempotencyKey'])
        # The entry id, as the server derives it from the key (epoch-entry.ts entryId).
        self.assertEqual(handle.idempotency_key, body['idempotencyKey'])
        self.assertEqual(_sender.entry_id('k-1'), 'e' + hashlib.sha256(b'k-1').hexdigest()[:24])
        # The sender thread (not the caller) waits for the snapshot: then the file may be overwritten.
        self.assertEqual(body['wait'], 'snapshotted')
        # The handle carries the server's answer once delivered.
        entry = _sender.entry_id(body['idempotencyKey'])
        self.assertEqual((handle.entry, handle.state, handle.run, handle.key), (entry, 'committed', 'run-a', 'models/m'))
        self.assertEqual(handle.status()['entry'], entry)
        self.assertEqual(self.spooled(), [])

    def test_mtime_matches_what_node_reports(self):
        node = shutil.which('node')
        if node is None:
            self.skipTest('node is not on PATH: cannot compare with fs.statSync().mtimeMs')
        from hyperprov._files import checkpoint_expect

        for index in range(20):
            path = self.checkpoint(f'm{index}.bin', b'y' * index)
            os.utime(path, ns=(1_700_000_000_123_456_789 + index * 7_777_777, 1_700_000_000_123_456_789 + index * 7_777_777))
        paths = [os.path.join(self.project, f'm{i}.bin') for i in range(20)] + [os.path.join(self.project, 'out-now.bin')]
        self.checkpoint('out-now.bin', b'now')
        script = 'for (const p of JSON.parse(process.argv[1])) console.log(JSON.stringify(require("fs").statSync(p).mtimeMs))'
        output = subprocess.run([node, '-e', script, json.dumps(paths)], capture_output=True, text=True, check=True).stdout
        for path, line in zip(paths, output.split()):
            self.assertEqual(checkpoint_expect(path)['mtimeMs'], json.loads(line), path)

    def test_directory_checkpoint_sends_total_size_and_newest_mtime(self):
        server = self.fake_server()
        folder = os.path.join(self.project, 'checkpoint-7')
        self.checkpoint('checkpoint-7/model.safetensors', b'a' * 100)
        self.checkpoint('checkpoint-7/sub/trainer_state.json', b'b' * 10)
        os.utime(os.path.join(folder, 'model.safetensors'), ns=(10**18, 10**18))
        os.utime(os.path.join(folder, 'sub', 'trainer_state.json'), ns=(2 * 10**18, 2 * 10**18))
        hyperprov.epoch(folder, epoch=7)
        hyperprov.flush(5)
        self.assertEqual(server.epoch_posts[0]['expect'], {'size': 110, 'mtimeMs': 2 * 10**12})

    def test_tracker_holds_the_run_settings_and_merges_per_call_values(self):
        server = self.fake_server()
        model = self.checkpoint()
        tracker = hyperprov.Tracker(params={'lr': 0.1, 'batch': 32}, datasets={'train': 'datasets/t'}, key='models/x')
        for e in range(3):
            tracker.epoch(model, epoch=e, metrics={'loss': 1.0 / (e + 1)}, params={'lr': 0.01})
        tracker.flush(5)
        bodies = server.epoch_posts
        self.assertEqual([b['epoch'] for b in bodies], [0, 1, 2], bodies)
        self.assertEqual({b['run'] for b in bodies}, {tracker.run})
        self.assertRegex(tracker.run, r'^run-\d{8}T\d{6}Z-[0-9a-f]{4}$')
        self.assertEqual(bodies[0]['params'], {'lr': 0.01, 'batch': 32})
        self.assertEqual(bodies[0]['key'], 'models/x')
        self.assertEqual(len({b['idempotencyKey'] for b in bodies}), 3)
        # Every tracker and plain call of one process shares the process's run id by default.
        self.assertEqual(hyperprov.Tracker().run, tracker.run)
        self.assertEqual(hyperprov.default_run(), tracker.run)

    def test_nan_and_infinity_are_sent_as_strings_javascript_can_parse(self):
        server = self.fake_server()
        hyperprov.epoch(self.checkpoint(), epoch=0, metrics={'loss': float('nan'), 'grad': float('inf')})
        hyperprov.flush(5)
        self.assertEqual(server.epoch_posts[0]['metrics'], {'loss': 'NaN', 'grad': 'Infinity'})

    def test_wait_committed_is_sent_and_the_record_is_returned(self):
        server = self.fake_server()
        server.on_epoch = lambda body: (200, {'entry': 'e9', 'run': body['run'], 'key': 'models/k',
                                              'state': 'committed', 'record': {'id': 'r1'}})
        handle = hyperprov.epoch(self.checkpoint(), epoch=1, wait='committed', timeout=5)
        self.assertEqual((handle.state, handle.record), ('committed', {'id': 'r1'}))
        self.assertEqual((server.epoch_posts[0]['wait'], server.epoch_posts[0]['timeoutMs']), ('committed', 5000))


class NotWaitingOnHttp(ProjectTestCase):
    def test_the_call_returns_before_the_server_answers(self):
        server = self.fake_server()
        server.epoch_delay = 0.3
        model = self.checkpoint()
        durations = []
        for e in range(10):
            started = time.perf_counter()
            self.assertIsNotNone(hyperprov.epoch(model, epoch=e))
            durations.append(time.perf_counter() - started)
        durations.sort()
        # Synchronous sending would take 0.3 s per call; spooling takes a fraction of a millisecond.
        self.assertLess(durations[len(durations) // 2], 0.005, durations)
        self.assertLess(sum(durations), 0.25, durations)
        self.assertTrue(hyperprov.flush(10)['done'])
        self.assertEqual([b['epoch'] for b in server.epoch_posts], list(range(10)))


class Outage(ProjectTestCase):
    def test_spools_while_the_server_is_down_and_resends_with_the_same_key(self):
        model = self.checkpoint()
        with self.assertLogs('hyperprov', level='WARNING') as logs:
            handles = [hyperprov.epoch(model, epoch=e) for e in range(3)]
            wait_until(lambda: all(h._attempted.is_set() for h in handles), what='a first attempt')
        self.assertTrue(all(h is not None and h.state == 'pending' for h in handles))
        self.assertEqual(len(self.spooled()), 3)
        spooled = {self.read_json(p)['body']['idempotencyKey'] for p in self.spooled()}
        self.assertEqual(spooled, {h.idempotency_key for h in handles})
        # One line for the outage (with the hint), not one per retry.
        warnings = [r for r in logs.records if r.levelno == logging.WARNING]
        self.assertEqual(len(warnings), 1, [r.getMessage() for r in warnings])
        self.assertIn('SERVER_UNAVAILABLE', warnings[0].getMessage())
        self.assertIn('hint:', warnings[0].getMessage())

        server = self.fake_server()  # the server comes up: its server.json appears
        self.assertTrue(hyperprov.flush(5)['done'])
        self.assertEqual([b['idempotencyKey'] for b in server.epoch_posts], [h.idempotency_key for h in handles])
        self.assertEqual([b['epoch'] for b in server.epoch_posts], [0, 1, 2])
        self.assertEqual(self.spooled(), [])
        self.assertEqual([h.state for h in handles], ['committed'] * 3)  # the flush found them done

    def test_flush_does_not_sit_out_its_timeout_for_a_server_that_is_down(self):
        model = self.checkpoint()
        with self.assertLogs('hyperprov', level='WARNING'):
            hyperprov.epoch(model, epoch=0)
            started = time.monotonic()
            result = hyperprov.flush(20)
        self.assertLess(time.monotonic() - started, 5.0)
        self.assertFalse(result['done'])
        self.assertEqual(result['unsent'], [f'{model} (epoch 0)'])
        self.assertEqual(result['error']['code'], 'SERVER_UNAVAILABLE')
        self.assertEqual(len(self.spooled()), 1)

    def test_retries_transient_errors_with_the_same_key_and_body(self):
        server = self.fake_server()
        answers = [(503, error_doc('LEDGER_UNAVAILABLE', 'ledger busy')), (503, error_doc('STORE_UNAVAILABLE', 'down'))]
        server.on_epoch = lambda body: answers.pop(0) if answers else None
        handle = hyperprov.epoch(self.checkpoint(), epoch=5, metrics={'loss': 1.5})
        with self.assertLogs('hyperprov', level='WARNING'):
            self.assertTrue(hyperprov.flush(10, keep_trying=True)['done'])
        posts = server.epoch_posts
        self.assertEqual(len(posts), 3)
        self.assertEqual(posts[0], posts[1])
        self.assertEqual(posts[1], posts[2])
        self.assertEqual(handle.state, 'committed')
        self.assertEqual(len(server.entries), 1)

    def test_a_restarted_server_with_a_new_port_and_token_is_found_again(self):
        first = self.fake_server()
        model = self.checkpoint()
        hyperprov.epoch(model, epoch=0)
        self.assertTrue(hyperprov.flush(5)['done'])
        first.stop()
        second = self.fake_server()
        self.assertNotEqual(first.token, second.token)
        hyperprov.epoch(model, epoch=1)
        self.assertTrue(hyperprov.flush(5)['done'])
        self.assertEqual([b['epoch'] for b in second.epoch_posts], [1])
        self.assertEqual([r['auth'] for r in second.requests if r['path'] == '/v1/epoch'], [f'Bearer {second.token}'])

    def test_a_request_spooled_by_a_process_that_died_is_sent_by_the_next_one(self):
        model = self.checkpoint()
        script = ('import os, sys; sys.path.insert(0, sys.argv[1]); import hyperprov;'
                  'h = hyperprov.epoch(sys.argv[2], epoch=4, run="run-dead"); print(h.idempotency_key, flush=True);'
                  'os._exit(0)')  # dies like kill -9: no atexit flush
        env = dict(os.environ, HYPERPROV_EXIT_TIMEOUT='5')
        key = subprocess.run([sys.executable, '-c', script, CLIENT_ROOT, model], env=env, cwd=self.project,
                             capture_output=True, text=True, check=True, timeout=30).stdout.strip()
        self.assertEqual([os.path.basename(p) for p in self.spooled()], [f'{key}.json'])
        server = self.fake_server()
        self.assertTrue(hyperprov.flush(5, project=self.project)['done'])
        self.assertEqual([(b['idempotencyKey'], b['epoch'], b['run']) for b in server.epoch_posts], [(key, 4, 'run-dead')])
        self.assertEqual(self.spooled(), [])

    def test_a_checkpoint_overwritten_during_an_outage_is_reported_lost_not_retried(self):
        model = self.checkpoint(data=b'epoch-1 bytes')
        with self.assertLogs('hyperprov', level='WARNING'):
            handle = hyperprov.epoch(model, epoch=1)
            wait_until(handle._attempted.is_set, what='a first attempt')
        self.checkpoint(data=b'epoch-2 bytes, longer')  # the trainer overwrites it in place
        server = self.fake_server()
        with self.assertLogs('hyperprov', level='ERROR') as logs:
            hyperprov.flush(5)
        self.assertIn('LOST', logs.output[0])
        self.assertIn('FILE_CHANGED', logs.output[0])
        self.assertIn('epoch 1', logs.output[0])
        self.assertEqual((handle.state, handle.error.code), ('failed', 'FILE_CHANGED'))
        self.assertEqual(len(server.epoch_posts), 1)
        time.sleep(0.3)  # several back-off periods: nothing is sent again
        self.assertEqual(len(server.epoch_posts), 1)
        self.assertEqual(self.spooled(), [])
        (kept,) = self.failed_spool()
        self.assertEqual(self.read_json(kept)['error']['code'], 'FILE_CHANGED')

    def test_a_failure_the_server_reports_at_flush_is_logged_as_lost(self):
        server = self.fake_server()
        handle = hyperprov.epoch(self.checkpoint(), epoch=2)
        self.assertTrue(handle.wait(5))
        server.flush_reply = {'done': True, 'pending': [], 'failed': [
            {'entry': handle.entry, 'run': handle.run, 'key': 'models/k', 'state': 'failed', 'attempts': 1,
             'error': {'code': 'FILE_CHANGED', 'message': 'changed before the snapshot'}}]}
        with self.assertLogs('hyperprov', level='ERROR') as logs:
            result = hyperprov.flush(5)
        self.assertEqual(len(result['failed']), 1)
        self.assertIn('LOST', logs.output[0])
        self.assertEqual(handle.state, 'failed')


class NeverRaisesByDefault(ProjectTestCase):
    def test_no_project(self):
        os.chdir(self.dir)
        with self.assertLogs('hyperprov', level='WARNING') as logs:
            self.assertIsNone(hyperprov.epoch(self.checkpoint(), epoch=1, project=self.dir))
        self.assertIn('NOT_INITIALIZED', logs.output[0])
        self.assertIn('hyperprov init', logs.output[0])

    def test_missing_checkpoint_and_bad_arguments(self):
        with self.assertLogs('hyperprov', level='WARNING') as logs:
            self.assertIsNone(hyperprov.epoch('nothing-here.pt', epoch=1))
            self.assertIsNone(hyperprov.epoch(self.checkpoint(), epoch=-1))
            self.assertIsNone(hyperprov.epoch(self.checkpoint(), epoch=1, metrics=[1, 2]))
            self.assertIsNone(hyperprov.epoch(self.checkpoint(), wait='soon'))
        self.assertEqual([re.search(r'(NOT_FOUND|INVALID_ARGUMENT)', line).group(1) for line in logs.output],
                         ['NOT_FOUND', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'])
        self.assertEqual(self.spooled(), [])

    def test_a_refusal_is_logged_and_kept_aside(self):
        server = self.fake_server()
        server.on_epoch = lambda body: (400, error_doc('INVALID_ARGUMENT', 'bad dataset', 'fix the dataset'))
        with self.assertLogs('hyperprov', level='ERROR') as logs:
            handle = hyperprov.epoch(self.checkpoint(), epoch=1)
            hyperprov.flush(5)
        self.assertIn('bad dataset', logs.output[0])
        self.assertIn('fix the dataset', logs.output[0])
        self.assertEqual((handle.state, handle.error.code), ('failed', 'INVALID_ARGUMENT'))
        self.assertEqual(len(self.failed_spool()), 1)
        self.assertEqual(len(server.epoch_posts), 1)


class RaisesWhenAsked(ProjectTestCase):
    def test_raise_errors_raises_the_servers_code_message_and_hint(self):
        server = self.fake_server()
        server.on_epoch = lambda body: (422, error_doc('DEPENDENCY_NOT_FOUND', 'no record datasets/x', 'record it first'))
        with self.assertRaises(hyperprov.HyperProvError) as caught:
            hyperprov.epoch(self.checkpoint(), epoch=1, datasets={'train': 'datasets/x'}, raise_errors=True)
        error = caught.exception
        self.assertEqual((error.code, error.message, error.hint), ('DEPENDENCY_NOT_FOUND', 'no record datasets/x', 'record it first'))

    def test_raise_errors_on_outage_raises_and_keeps_the_request(self):
        with self.assertRaises(hyperprov.HyperProvError) as caught:
            hyperprov.epoch(self.checkpoint(), epoch=1, raise_errors=True)
        self.assertEqual(caught.exception.code, 'SERVER_UNAVAILABLE')
        self.assertTrue(caught.exception.hint)
        self.assertEqual(len(self.spooled()), 1)  # still re-sent later: the server dedupes by key

    def test_env_variable_and_local_errors(self):
        os.environ['HYPERPROV_RAISE'] = '1'
        with self.assertRaises(hyperprov.HyperProvError) as caught:
            hyperprov.epoch('missing.pt', epoch=1)
        self.assertEqual(caught.exception.code, 'NOT_FOUND')
        with self.assertRaises(hyperprov.HyperProvError) as caught:
            hyperprov.Tracker(self.dir).epoch(self.checkpoint(), epoch=1)
        self.assertEqual(caught.exception.code, 'NOT_INITIALIZED')

    def test_raise_errors_succeeds_quietly_when_the_server_accepts(self):
        server = self.fake_server()
        handle = hyperprov.epoch(self.checkpoint(), epoch=1, raise_errors=True)
        self.assertEqual((handle.entry, handle.state), (_sender.entry_id(handle.idempotency_key), 'snapshotted'))
        self.assertEqual(len(server.epoch_posts), 1)


class Imports(unittest.TestCase):
    def test_importing_loads_no_framework(self):
        script = ('import sys; sys.path.insert(0, sys.argv[1]); import hyperprov;'
                  'print(sorted(m for m in ("torch", "keras", "tensorflow", "numpy", "jax") if m in sys.modules))')
        output = subprocess.run([sys.executable, '-c', script, CLIENT_ROOT], capture_output=True, text=True,
                                check=True).stdout
        self.assertEqual(output.strip(), '[]')


if __name__ == '__main__':
    unittest.main()
