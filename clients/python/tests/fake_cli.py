#!/usr/bin/env python3
"""A stand-in for the `hyperprov` CLI's `serve --detach` / `serve --stop`, starting tests/fake_server.py.

Like the real `serve --detach`, it leaves a server running in its own session and exits 0 once the
server answers. The server inherits this process's stdout on purpose: a client that read the CLI's
output through a pipe to EOF would then hang, which is what the test guards against.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    if argv[:1] != ['serve'] or '--dir' not in argv:
        print(f'fake cli: unsupported arguments {argv}', file=sys.stderr)
        return 2
    project = os.path.abspath(argv[argv.index('--dir') + 1])
    state = os.path.join(project, '.hyperprov')
    with open(os.path.join(state, 'cli-calls.log'), 'a', encoding='utf-8') as log:
        log.write(' '.join(argv) + '\n')
    info_path = os.path.join(state, 'server.json')
    if '--stop' in argv:
        with open(info_path, encoding='utf-8') as file:
            os.kill(json.load(file)['pid'], signal.SIGTERM)
        os.remove(info_path)
        return 0
    if os.environ.get('FAKE_CLI_FAIL'):
        print('Error: the fake CLI was told to fail', file=sys.stderr)
        return 9
    if os.path.exists(info_path):
        os.remove(info_path)  # a stale file from a dead server
    subprocess.Popen([sys.executable, os.path.join(HERE, 'fake_server.py'), project,
                      os.path.join(state, 'requests.jsonl')], start_new_session=True, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(info_path, encoding='utf-8') as file:
                info = json.load(file)
            request = urllib.request.Request(info['url'] + '/v1/health',
                                             headers={'Authorization': f"Bearer {info['token']}"})
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=1):
                print(info['url'])
                return 0
        except (OSError, ValueError, KeyError):
            time.sleep(0.05)
    print('Error: the fake server did not start', file=sys.stderr)
    return 7


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
