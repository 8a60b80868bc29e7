/**
 * The network's life cycle: `startNetwork` (create from an empty folder, or resume a stopped one
 * with the same specs and ledgers), `stopNetwork` (every process, then check the ports are free;
 * optionally wipe), and `stopNode`/`startNode` for fault tests.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrackerError } from '@hyperprov/errors';
import { blankVmEndpoint } from '../install/core-yaml.js';
import { withFolderLock } from '../folder-lock.js';
import { ensureFabricBinaries, type FabricBinaries } from '../install/ensure.js';
import { ccaasPackage } from './chaincode-package.js';
import { approveAndCommit, installOnPeers, waitForChaincode, type LifecycleInputs } from './chaincode-lifecycle.js';
import { locateChaincode, type ChaincodeLocation } from './chaincode-location.js';
import { generateGenesisBlock, type ChannelOptions } from './channel-config.js';
import { joinOrderers, joinPeers } from './channel-join.js';
import { writeConnectionFile } from './connection-file.js';
import { generateCryptoMaterial } from './crypto-material.js';
import { readState, specOf, stateFile, writeState, STATE_FORMAT, type NetworkState } from './network-state.js';
import { networkStatus, type NetworkStatus } from './network-status.js';
import { nodeSpecs, type NodeSpec } from './node-specs.js';
import { runningPid, startProcess, stopProcess } from './processes.js';
import { portFree, waitReady } from './readiness.js';
import { CHAINCODE, CHAINCODE_LABEL, CHANNEL, DEFAULT_BASE_PORT, allPorts, checkBasePort, portsOf } from './topology.js';

type Log = (line: string) => void;

export interface StartOptions {
    dir: string;
    /** First port of the network's range (default 7000); ignored when resuming, which keeps the stored one. */
    basePort?: number;
    /** FABRIC_LOGGING_SPEC of orderers and peers, fixed when the network is created (default: warning, Raft at info). */
    loggingSpec?: string;
    /** The orderers' BatchTimeout in ms, fixed when the network is created (default DEFAULT_BATCH_TIMEOUT_MS, 10); ignored when resuming. */
    batchTimeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    log?: Log;
}

export interface StartResult extends NetworkStatus {
    connectionFile: string;
    /** created: made from nothing; resumed: restarted stopped nodes; running: everything already ran (no-op). */
    action: 'created' | 'resumed' | 'running';
    elapsedMs: number;
}

const DEFAULT_LOGGING_SPEC = 'warning:orderer.consensus.etcdraft=info';
/** The lock folder inside the network folder: one command changes a network at a time. */
const LOCK = '.lock';
const lockOf = (dir: string): string => join(dir, LOCK);

export async function startNetwork(options: StartOptions): Promise<StartResult> {
    const started = Date.now();
    const dir = resolve(options.dir);
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    return withFolderLock(lockOf(dir), `hyperprov-network command on ${dir}`, log, () => startLocked(dir, options, log, started));
}

async function startLocked(dir: string, options: StartOptions, log: Log, started: number): Promise<StartResult> {
    const env = options.env ?? process.env;
    let state = await readState(dir);
    if (state && options.basePort !== undefined && options.basePort !== state.basePort) {
        throw new TrackerError('INVALID_ARGUMENT', `${dir} holds a network on base port ${state.basePort}, not ${options.basePort}: bring it up without --base-port, or remove it with \`hyperprov-network down --wipe --dir ${dir}\``);
    }
    const action: StartResult['action'] = state ? 'resumed' : 'created';
    if (!state) state = await createNetwork(dir, options.basePort ?? DEFAULT_BASE_PORT, options.loggingSpec ?? DEFAULT_LOGGING_SPEC, channelOptions(options), env, log);
    const stopped: NodeSpec[] = [];
    for (const spec of state.nodes) if ((await runningPid(dir, spec.name)) === undefined) stopped.push(spec);
    if (stopped.length === 0 && state.steps.chaincodeCommitted) {
        const status = await networkStatus({ dir });
        return { ...status, connectionFile: await writeConnectionFile(dir, state.basePort), action: 'running', elapsedMs: Date.now() - started };
    }
    try {
        await startNodes(dir, stopped, log);
        await setUpChannel(dir, state, log);
        await waitUntilServing(dir);
    } catch (error) {
        // Leave nothing running that this call started; the stored state lets the next `up` resume.
        await Promise.all(stopped.map((spec) => stopProcess(dir, spec.name, 'SIGKILL')));
        throw error;
    }
    const connection = await writeConnectionFile(dir, state.basePort);
    log(`[fabric-network] network ${action} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${connection}`);
    return { ...(await networkStatus({ dir })), connectionFile: connection, action, elapsedMs: Date.now() - started };
}

/**
 * Healthy processes are not yet a service. After a start the orderers first elect a Raft leader
 * (until then every submit is refused), and each peer must find the other organisation's peer
 * through gossip (until then the gateway knows no endorser of that org, and a submit needing
 * both fails). `up` returns only once both hold, so its callers can submit at once.
 */
async function waitUntilServing(dir: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const status = await networkStatus({ dir });
        const peers = status.nodes.filter((n) => n.kind === 'peer');
        const strangers = peers.filter((n) => (n.knownPeers ?? 0) < peers.length - 1).map((n) => n.name);
        if (status.raftLeader !== undefined && strangers.length === 0) return;
        if (Date.now() > deadline) {
            const what = status.raftLeader === undefined ? 'the orderers elected no Raft leader' : `${strangers.join(', ')} found no other organisation's peer through gossip`;
            throw new TrackerError('LEDGER_UNAVAILABLE', `${what} within ${timeoutMs / 1000} s; see the logs in ${dir}/logs/`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
}

/** Generates everything once: config copies, crypto material, genesis block, package id, node specs. */
function channelOptions(options: StartOptions): ChannelOptions {
    const ms = options.batchTimeoutMs;
    if (ms === undefined) return {};
    if (!Number.isInteger(ms) || ms < 1 || ms > 10_000) {
        throw new TrackerError('INVALID_ARGUMENT', `batch timeout must be a whole number of milliseconds from 1 to 10000, got ${ms}`);
    }
    return { batchTimeoutMs: ms };
}

async function createNetwork(dir: string, basePort: number, loggingSpec: string, channel: ChannelOptions, env: NodeJS.ProcessEnv, log: Log): Promise<NetworkState> {
    checkBasePort(basePort);
    const entries = (await readdir(dir).catch(() => [] as string[])).filter((name) => name !== LOCK);
    if (entries.length > 0) {
        throw new TrackerError('ALREADY_EXISTS', `${dir} is not empty and holds no network (${stateFile(dir)} is missing): choose an empty or new folder for --dir`);
    }
    await checkPortsFree(allPorts(basePort), basePort);
    const binaries = await ensureFabricBinaries({ env, log });
    const chaincode = locateChaincode();
    try {
        return await generate(dir, basePort, loggingSpec, channel, binaries, chaincode, env, log);
    } catch (error) {
        // The folder was empty: leave it so, and the next `up` starts from scratch instead of refusing a half-made folder.
        for (const name of await readdir(dir).catch(() => [] as string[])) if (name !== LOCK) await rm(join(dir, name), { recursive: true, force: true });
        throw error;
    }
}

async function generate(dir: string, basePort: number, loggingSpec: string, channel: ChannelOptions, binaries: FabricBinaries, chaincode: ChaincodeLocation, env: NodeJS.ProcessEnv, log: Log): Promise<NetworkState> {
    for (const sub of ['config/configtx', 'channel', 'crypto', 'data', 'logs', 'run', 'home', 'tmp']) await mkdir(join(dir, sub), { recursive: true });
    // Our own copies: the peer must see vm.endpoint blanked, whoever's release the binaries come from.
    const core = await readFile(join(binaries.fabric.configDir, 'core.yaml'), 'utf8');
    await writeFile(join(dir, 'config', 'core.yaml'), blankVmEndpoint(core));
    await copyFile(join(binaries.fabric.configDir, 'orderer.yaml'), join(dir, 'config', 'orderer.yaml'));
    const toolEnv = { PATH: env.PATH ?? '/usr/bin:/bin', HOME: join(dir, 'home') };
    log(`[fabric-network] creating a network in ${dir} (base port ${basePort}): crypto material, genesis block`);
    await generateCryptoMaterial(dir, join(binaries.fabric.binDir, 'cryptogen'), toolEnv);
    await generateGenesisBlock(dir, basePort, join(binaries.fabric.binDir, 'configtxgen'), toolEnv, channel);
    const { packageId } = ccaasPackage(CHAINCODE_LABEL, `127.0.0.1:${portsOf('chaincode', basePort).listen}`);
    const state: NetworkState = {
        format: STATE_FORMAT,
        basePort,
        createdAt: new Date().toISOString(),
        fabricVersion: binaries.fabric.version,
        fabricCaVersion: binaries.ca.version,
        fabricBinDir: binaries.fabric.binDir,
        packageId,
        steps: { channelJoined: false, chaincodeCommitted: false },
        nodes: nodeSpecs({ dir, basePort, binaries, packageId, chaincodeDir: chaincode.dir, shimCli: chaincode.shimCli, loggingSpec }),
    };
    await writeState(dir, state);
    return state;
}

async function startNodes(dir: string, specs: readonly NodeSpec[], log: Log): Promise<void> {
    // A node stopped a moment ago may hold its sockets for a few more milliseconds.
    for (const spec of specs) await checkPortsFree(Object.values(spec.ports) as number[], undefined, spec.name, 5000);
    for (const spec of specs) await startProcess(dir, spec);
    await Promise.all(specs.map((spec) => waitReady(dir, spec)));
    if (specs.length > 0) log(`[fabric-network] ready: ${specs.map((s) => s.name).join(', ')}`);
}

/** The one-time steps, each skipped once recorded as done. */
async function setUpChannel(dir: string, state: NetworkState, log: Log): Promise<void> {
    const peer = join(state.fabricBinDir, 'peer');
    if (!state.steps.channelJoined) {
        log(`[fabric-network] joining channel ${CHANNEL}: 3 orderers, 2 peers`);
        await joinOrderers(dir, state.basePort);
        await joinPeers(dir, state.basePort, peer);
        state.steps.channelJoined = true;
        await writeState(dir, state);
    }
    const pkg = ccaasPackage(CHAINCODE_LABEL, `127.0.0.1:${portsOf('chaincode', state.basePort).listen}`);
    const inputs: LifecycleInputs = { dir, basePort: state.basePort, peer, packageId: state.packageId, packageBytes: pkg.bytes, log };
    if (!state.steps.chaincodeCommitted) {
        if (pkg.packageId !== state.packageId) throw new TrackerError('INTERNAL', `the chaincode package id changed (${state.packageId} -> ${pkg.packageId}); the package must be reproducible`);
        log(`[fabric-network] deploying chaincode ${CHAINCODE} (${state.packageId.slice(0, 22)}…): install, approve Org1MSP and Org2MSP, commit`);
        await installOnPeers(inputs);
        await approveAndCommit(inputs);
        state.steps.chaincodeCommitted = true;
        await writeState(dir, state);
    }
    await waitForChaincode(inputs);
}

export interface StopResult {
    dir: string;
    /** Nodes whose process was running and was stopped. */
    stopped: string[];
    wiped: boolean;
}

/** Stops every node (SIGTERM, then SIGKILL after 10 s), checks the network's ports are free, and with `wipe` removes the folder. */
export async function stopNetwork(options: { dir: string; wipe?: boolean }): Promise<StopResult> {
    const dir = resolve(options.dir);
    if (!existsSync(dir)) return { dir, stopped: [], wiped: false };
    return withFolderLock(lockOf(dir), `hyperprov-network command on ${dir}`, () => {}, () => stopLocked(dir, options));
}

async function stopLocked(dir: string, options: { wipe?: boolean }): Promise<StopResult> {
    const state = await readState(dir);
    if (!state) {
        if (options.wipe && (await readdir(dir).catch(() => [])).some((name) => name !== LOCK)) {
            throw new TrackerError('INVALID_ARGUMENT', `${dir} holds no network (no network.json): not removing it`);
        }
        return { dir, stopped: [], wiped: false };
    }
    const results = await Promise.all(state.nodes.map(async (spec) => ((await stopProcess(dir, spec.name)) ? spec.name : undefined)));
    const busy = await busyPorts(allPorts(state.basePort), 5000);
    if (busy.length > 0) throw new TrackerError('LEDGER_UNAVAILABLE', `every node of ${dir} is stopped, but ports ${busy.join(', ')} are still in use by another process`);
    if (options.wipe) await rm(dir, { recursive: true, force: true });
    return { dir, stopped: results.filter((n): n is string => n !== undefined), wiped: options.wipe === true };
}

/** Stops one node; SIGKILL by default (a crash), SIGTERM for a graceful stop. */
export async function stopNode(options: { dir: string; name: string; signal?: NodeJS.Signals }): Promise<{ name: string; wasRunning: boolean }> {
    const dir = resolve(options.dir);
    const state = await requireState(dir);
    const spec = specOf(state, options.name);
    return { name: spec.name, wasRunning: await stopProcess(dir, spec.name, options.signal ?? 'SIGKILL') };
}

/** Starts one node again with its stored spec (same environment, same data) and waits until it is ready. */
export async function startNode(options: { dir: string; name: string }): Promise<{ name: string; pid: number; wasRunning: boolean }> {
    const dir = resolve(options.dir);
    const state = await requireState(dir);
    const spec = specOf(state, options.name);
    const running = await runningPid(dir, spec.name);
    if (running !== undefined) return { name: spec.name, pid: running, wasRunning: true };
    await withFolderLock(lockOf(dir), `hyperprov-network command on ${dir}`, () => {}, () => startNodes(dir, [spec], () => {}));
    return { name: spec.name, pid: (await runningPid(dir, spec.name)) as number, wasRunning: false };
}

async function requireState(dir: string): Promise<NetworkState> {
    const state = await readState(dir);
    if (!state) throw new TrackerError('NOT_INITIALIZED', `${dir} holds no network: run \`hyperprov-network up --dir ${dir}\` first`);
    return state;
}

async function checkPortsFree(ports: number[], basePort?: number, node?: string, waitMs = 0): Promise<void> {
    const busy = await busyPorts(ports, waitMs);
    if (busy.length === 0) return;
    const what = node ? `${node}'s ports` : `the ports of base port ${basePort} (${ports[0]}-${ports[0] === undefined ? '' : (ports.at(-1) as number)})`;
    throw new TrackerError('LEDGER_UNAVAILABLE', `${what} ${busy.join(', ')} are in use (another network or program?): stop it, or choose another --base-port`);
}

/** Ports still taken after waiting up to `waitMs` for them to be released. */
async function busyPorts(ports: number[], waitMs: number): Promise<number[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
        const busy: number[] = [];
        for (const port of ports) if (!(await portFree(port))) busy.push(port);
        if (busy.length === 0 || Date.now() >= deadline) return busy;
        await sleep(200);
    }
}
