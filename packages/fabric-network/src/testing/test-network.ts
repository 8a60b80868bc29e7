/**
 * A real Fabric network for tests: `startTestNetwork()` installs the binaries (cached), brings the
 * network up in a temporary folder on a free port range, and `stop()` takes it down and removes
 * the folder. Whatever happens to the test run, an exit handler kills the network's processes.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { networkStatus, type NetworkStatus } from '../network/network-status.js';
import { startNetwork, startNode, stopNetwork, stopNode } from '../network/network.js';
import { killAllSync } from '../network/processes.js';
import { portFree } from '../network/readiness.js';
import { PORT_SPAN, allPorts } from '../network/topology.js';

export interface TestNetworkOptions {
    /** First port of the network's range; default: a free range from 30000-39999. */
    basePort?: number;
    /** Network folder (kept by stop()); default: a new temporary folder (removed by stop()). */
    dir?: string;
    /** The orderers' BatchTimeout in ms (default: the network's). */
    batchTimeoutMs?: number;
    log?: (line: string) => void;
}

export interface TestNetwork {
    /** Path of connection.json (format hyperprov-fabric-connection/1). */
    connectionFile: string;
    dir: string;
    basePort: number;
    /** Seconds `up` took. */
    upSeconds: number;
    /** Stops every process (and removes the folder unless `dir` was given). Idempotent. */
    stop(): Promise<void>;
    /** Fault injection: SIGKILL (default) or SIGTERM one node, start it again with the same environment. */
    stopNode(name: string, signal?: NodeJS.Signals): Promise<void>;
    startNode(name: string): Promise<void>;
    status(): Promise<NetworkStatus>;
}

export async function startTestNetwork(options: TestNetworkOptions = {}): Promise<TestNetwork> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'hyperprov-fabric-')));
    const basePort = options.basePort ?? (await freeBasePort());
    const killOnExit = (): void => killAllSync(dir);
    process.once('exit', killOnExit);
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> =>
        (stopped ??= (async () => {
            try {
                await stopNetwork({ dir, wipe: options.dir === undefined });
            } finally {
                killAllSync(dir);
                process.removeListener('exit', killOnExit);
            }
        })());
    try {
        const result = await startNetwork({ dir, basePort, ...(options.batchTimeoutMs === undefined ? {} : { batchTimeoutMs: options.batchTimeoutMs }), ...(options.log ? { log: options.log } : {}) });
        return {
            connectionFile: result.connectionFile,
            dir,
            basePort,
            upSeconds: result.elapsedMs / 1000,
            stop,
            stopNode: async (name, signal) => void (await stopNode({ dir, name, ...(signal ? { signal } : {}) })),
            startNode: async (name) => void (await startNode({ dir, name })),
            status: () => networkStatus({ dir }),
        };
    } catch (error) {
        await stop().catch(() => {});
        throw error;
    }
}

/** A base port whose whole range is free, from 30000-39999 (the range HyperProv's own tests leave alone). */
async function freeBasePort(): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
        const base = 30000 + 100 * Math.floor(Math.random() * (10000 / 100 - 1));
        const ports = allPorts(base);
        let free = true;
        for (const port of ports) if (!(free = await portFree(port))) break;
        if (free) return base;
    }
    throw new Error(`no free range of ${PORT_SPAN} ports found in 30000-39999`);
}
