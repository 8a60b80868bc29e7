/**
 * `hyperprov-network install|up|down|status|stop-node|start-node`. With `--json` a command prints
 * exactly one JSON document on stdout (errors as the HyperProv error document); progress goes to
 * stderr. Exit codes are the HyperProv ones (@hyperprov/errors).
 */
import { parseArgs } from 'node:util';
import { ERROR_HINTS, EXIT_CODES, TrackerError, errorDocument, toTrackerError } from '@hyperprov/errors';
import { ensureFabricBinaries } from '../install/ensure.js';
import { networkStatus } from '../network/network-status.js';
import { startNetwork, startNode, stopNetwork, stopNode } from '../network/network.js';
import { DEFAULT_BATCH_TIMEOUT_MS } from '../network/channel-config.js';
import { DEFAULT_BASE_PORT } from '../network/topology.js';
import { formatStatus } from './format-status.js';

export const USAGE = `usage: hyperprov-network <command> [options]

commands:
  install                      find or build the Fabric ${'2.5'} and Fabric CA binaries (cached)
  up                           create the network in --dir, or resume it; no-op when it runs
  down [--wipe]                stop every process of the network (--wipe: and remove --dir)
  status                       nodes, pids, ports, block heights, Raft leader
  stop-node <name> [--signal TERM|KILL]   stop one node (default SIGKILL: a crash)
  start-node <name>            start one node again with its stored environment

options:
  --dir D          network folder (default .fabric/network)
  --base-port P    first port of the network's 80-port range (default ${DEFAULT_BASE_PORT}; up only)
  --batch-timeout MS   how long orderers wait before cutting a block (default ${DEFAULT_BATCH_TIMEOUT_MS};
                   fixed when up creates the network)
  --json           print one JSON document
nodes: orderer1 orderer2 orderer3 peer0.org1 peer0.org2 ca.org1 ca.org2 chaincode`;

interface Io {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
}

const defaultIo: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

export async function runCli(argv: string[], io: Io = defaultIo): Promise<number> {
    let json = argv.includes('--json');
    try {
        const { values, positionals } = parseArgs({
            args: argv,
            allowPositionals: true,
            options: {
                dir: { type: 'string', default: '.fabric/network' },
                'base-port': { type: 'string' },
                'batch-timeout': { type: 'string' },
                json: { type: 'boolean', default: false },
                wipe: { type: 'boolean', default: false },
                signal: { type: 'string', default: 'KILL' },
                help: { type: 'boolean', short: 'h', default: false },
            },
        });
        json = values.json;
        const [command, ...rest] = positionals;
        if (values.help || command === undefined || command === 'help') {
            io.stdout(`${USAGE}\n`);
            return command === undefined && !values.help ? EXIT_CODES.INVALID_ARGUMENT : 0;
        }
        const log = (line: string): void => io.stderr(`${line}\n`);
        const dir = values.dir;
        const print = (document: unknown, text: string): void => io.stdout(json ? `${JSON.stringify(document, null, 2)}\n` : `${text}\n`);
        switch (command) {
            case 'install': {
                const binaries = await ensureFabricBinaries({ log });
                print(binaries, `fabric ${binaries.fabric.version} (${binaries.fabric.source}): ${binaries.fabric.binDir}\nfabric-ca ${binaries.ca.version} (${binaries.ca.source}): ${binaries.ca.binDir}`);
                return 0;
            }
            case 'up': {
                const basePort = values['base-port'] === undefined ? undefined : parsePort(values['base-port']);
                const batchTimeout = values['batch-timeout'];
                if (batchTimeout !== undefined && !/^\d+$/.test(batchTimeout)) {
                    throw new TrackerError('INVALID_ARGUMENT', `--batch-timeout must be a number of milliseconds, got ${JSON.stringify(batchTimeout)}`);
                }
                const result = await startNetwork({ dir, ...(basePort === undefined ? {} : { basePort }), ...(batchTimeout === undefined ? {} : { batchTimeoutMs: Number(batchTimeout) }), log });
                print(result, `${formatStatus(result)}\n${result.action} in ${(result.elapsedMs / 1000).toFixed(1)} s; connection file: ${result.connectionFile}`);
                return 0;
            }
            case 'down': {
                const result = await stopNetwork({ dir, wipe: values.wipe });
                print(result, `stopped ${result.stopped.length} node(s)${result.wiped ? `; removed ${result.dir}` : ''}`);
                return 0;
            }
            case 'status': {
                const status = await networkStatus({ dir });
                print(status, formatStatus(status));
                return 0;
            }
            case 'stop-node': {
                const name = nodeArgument(rest, command);
                const result = await stopNode({ dir, name, signal: parseSignal(values.signal) });
                print(result, result.wasRunning ? `stopped ${name}` : `${name} was not running`);
                return 0;
            }
            case 'start-node': {
                const name = nodeArgument(rest, command);
                const result = await startNode({ dir, name });
                print(result, result.wasRunning ? `${name} was already running (pid ${result.pid})` : `started ${name} (pid ${result.pid})`);
                return 0;
            }
            default:
                throw new TrackerError('INVALID_ARGUMENT', `unknown command ${JSON.stringify(command)}\n${USAGE}`);
        }
    } catch (error) {
        const tracked = error instanceof TrackerError ? error : /Unknown option|unexpected argument/i.test(String(error)) ? new TrackerError('INVALID_ARGUMENT', (error as Error).message) : toTrackerError(error);
        if (json) io.stdout(`${JSON.stringify(errorDocument(tracked), null, 2)}\n`);
        else io.stderr(`error [${tracked.code}]: ${tracked.message}\nhint: ${ERROR_HINTS[tracked.code]}\n`);
        return EXIT_CODES[tracked.code];
    }
}

function parsePort(text: string): number {
    const port = Number(text);
    if (!/^\d+$/.test(text)) throw new TrackerError('INVALID_ARGUMENT', `--base-port must be a number, got ${JSON.stringify(text)}`);
    return port;
}

function parseSignal(text: string): NodeJS.Signals {
    const name = text.toUpperCase().replace(/^SIG/, '');
    if (name !== 'KILL' && name !== 'TERM' && name !== 'INT') throw new TrackerError('INVALID_ARGUMENT', `--signal must be KILL, TERM or INT, got ${JSON.stringify(text)}`);
    return `SIG${name}`;
}

function nodeArgument(rest: string[], command: string): string {
    const [name] = rest;
    if (name === undefined || rest.length > 1) throw new TrackerError('INVALID_ARGUMENT', `${command} takes one node name (orderer1..3, peer0.org1, peer0.org2, ca.org1, ca.org2, chaincode)`);
    return name;
}
