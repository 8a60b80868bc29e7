"""Starting the server through the CLI, and what happens at interpreter exit (real subprocesses)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

from helpers import CLIENT_ROOT, FAKE_CLI, ProjectTestCase, hyperprov, wait_until
from hyperprov import _server


def read_lines(path):
    try:
        with open(path, encoding='utf-8') as file:
            return [json.loads(line) for line in file if line.strip()]
    except FileNotFoundError:
        return []


class ServerStart(ProjectTestCase):
    def setUp(self):
        super().setUp()
        os.environ['HYPERPROV_CLI'] = FAKE_CLI
        self.addCleanup(self._stop_server)

    def _stop_server(self):
        if os.path.exists(os.path.join(self.project, '.hyperprov', 'server.json')):
            subprocess.run([FAKE_CLI, 'serve', '--stop', '--dir', self.project], check=False, timeout=10)

    def calls(self):
        path = os.path.join(self.project, '.hyperprov', 'cli-calls.log')
        with open(path, encoding='utf-8') as file:
            return file.read().splitlines()

    def test_starts_the_server_once_and_sends_to_it(self):
        model = self.checkpoint()
        started = time.monotonic()
        first = hyperprov.epoch(model, epoch=0)
        self.assertLess(time.monotonic() - started, 0.1)  # the start happens on the sender thread
        for e in (1, 2):
            hyperprov.epoch(model, epoch=e)
        self.assertTrue(hyperprov.flush(20)['done'])
        self.assertEqual(self.calls(), [f'serve --detach --dir {self.project}'])
        requests = read_lines(os.path.join(self.project, '.hyperprov', 'requests.jsonl'))
        epochs = [r['body']['epoch'] for r in requests if r['path'] == '/v1/epoch']
        self.assertEqual(epochs, [0, 1, 2])
        with open(os.path.join(self.project, '.hyperprov', 'server.json'), encoding='utf-8') as file:
            token = json.load(file)['token']
        self.assertEqual({r['auth'] for r in requests}, {f'Bearer {token}'})
        self.assertEqual(first.state, 'committed')

    def test_a_stale_server_file_is_replaced_by_a_started_server(self):
        with open(os.path.join(self.project, '.hyperprov', 'server.json'), 'w', encoding='utf-8') as file:
            json.dump({'url': 'http://127.0.0.1:9', 'token': 'old', 'pid': 999999}, file)
        handle = hyperprov.epoch(self.checkpoint(), epoch=0, raise_errors=True)
        self.assertEqual(handle.state, 'snapshotted')
        self.assertEqual(len(self.calls()), 1)

    def test_a_failing_start_says_what_the_cli_said(self):
        os.environ['FAKE_CLI_FAIL'] = '1'
        with self.assertRaises(hyperprov.HyperProvError) as caught:
            hyperprov.epoch(self.checkpoint(), epoch=0, raise_errors=True)
        self.assertEqual(caught.exception.code, 'SERVER_UNAVAILABLE')
        self.assertIn('the fake CLI was told to fail', caught.exception.message)
        self.assertIn('exited with 9', caught.exception.message)

    def test_cli_command_lookup(self):
        os.environ['HYPERPROV_CLI'] = '/opt/hp/packages/cli/bin/hyperprov.js'
        self.assertEqual(_server.cli_command(), ['node', '/opt/hp/packages/cli/bin/hyperprov.js'])
        os.environ['HYPERPROV_CLI'] = '/usr/local/bin/hyperprov'
        self.assertEqual(_server.cli_command(), ['/usr/local/bin/hyperprov'])
        del os.environ['HYPERPROV_CLI']
        os.environ['PATH'] = self.dir  # nothing there
        self.assertIsNone(_server.cli_command())


SCRIPT = textwrap.dedent('''
    import logging, sys
    sys.path.insert(0, sys.argv[1])
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s')
    import hyperprov
    hyperprov.epoch(sys.argv[2], epoch=7, run='run-exit')
    print('returned', flush=True)
''')


class AtExit(ProjectTestCase):
    def run_script(self, **env):
        started = time.monotonic()
        process = subprocess.run([sys.executable, '-c', SCRIPT, CLIENT_ROOT, self.checkpoint()], cwd=self.project,
                                 env=dict(os.environ, **env), capture_output=True, text=True, timeout=60)
        return process, time.monotonic() - started

    def test_exit_flushes_what_the_script_recorded(self):
        server = self.fake_server()
        server.epoch_delay = 0.5  # still in flight when the script's last line ran
        process, _ = self.run_script(HYPERPROV_EXIT_TIMEOUT='10')
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertEqual([(b['epoch'], b['run']) for b in server.epoch_posts], [(7, 'run-exit')])
        self.assertEqual(self.spooled(), [])
        self.assertEqual([r['path'] for r in server.requests if r['method'] == 'POST'], ['/v1/epoch', '/v1/flush'])

    def test_exit_waits_a_bounded_time_and_says_what_is_left(self):
        server = self.fake_server()
        server.epoch_delay = 30  # a server that hangs
        process, took = self.run_script(HYPERPROV_EXIT_TIMEOUT='1')
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertIn('returned', process.stdout)
        self.assertLess(took, 6.0)
        self.assertIn('exiting with 1 checkpoint request(s) not sent', process.stderr)
        self.assertIn('(epoch 7)', process.stderr)
        self.assertEqual(len(self.spooled()), 1)  # kept for the next run
        wait_until(lambda: len(server.epoch_posts) == 1, what='the hanging request')
