/**
 * The peer CLI as a test client, acting as an org's Admin: query one peer, or invoke with both
 * orgs' peers endorsing and wait for the commit. Independent of any Gateway client, so tests can
 * cross-check what a client wrote.
 */
import { join, resolve } from 'node:path';
import { runCommand } from '../run-command.js';
import { readState } from '../network/network-state.js';
import { allPeersFlags, ordererFlags, peerAdminEnv } from '../network/node-specs.js';
import { CHAINCODE, CHANNEL, ORDERERS, ORGS, portsOf } from '../network/topology.js';
import { cryptoPaths } from '../network/crypto-material.js';

export interface PeerCliOptions {
    /** The org whose Admin signs (and whose peer answers a query): Org1 (default) or Org2. */
    org?: string;
}

/** Evaluates `fn(args)` on the org's peer; returns the result text. */
export async function queryChaincode(dir: string, fn: string, args: readonly string[], options: PeerCliOptions = {}): Promise<string> {
    const { peer, basePort } = await cli(dir);
    const { stdout } = await runCommand(peer, ['chaincode', 'query', '-C', CHANNEL, '-n', CHAINCODE, '-c', JSON.stringify({ Args: [fn, ...args] })], {
        env: peerAdminEnv(resolve(dir), basePort, options.org ?? 'Org1'),
        timeoutMs: 60_000,
    });
    return stdout.trim();
}

export interface InvokeOptions extends PeerCliOptions {
    /** Orgs whose peers endorse (default both: the MAJORITY policy needs both). */
    endorsers?: readonly string[];
    /** Orderer to submit to (default orderer1). */
    orderer?: string;
}

/** Submits `fn(args)` and waits until it commits; returns the CLI's report (it holds the payload). Throws when invalid. */
export async function invokeChaincode(dir: string, fn: string, args: readonly string[], options: InvokeOptions = {}): Promise<string> {
    const { peer, basePort } = await cli(dir);
    const abs = resolve(dir);
    const endorsers = options.endorsers ?? ORGS.map((o) => o.name);
    const peers = endorsers.length === ORGS.length ? allPeersFlags(abs, basePort) : endorsers.flatMap((name) => {
        const org = ORGS.find((o) => o.name === name) ?? (ORGS[0] as (typeof ORGS)[number]);
        return ['--peerAddresses', `127.0.0.1:${portsOf(org.peer, basePort).listen}`, '--tlsRootCertFiles', cryptoPaths.orgTlsCa(abs, org)];
    });
    const { stderr } = await runCommand(
        peer,
        ['chaincode', 'invoke', ...ordererFlags(abs, basePort, options.orderer ?? ORDERERS[0]), '-C', CHANNEL, '-n', CHAINCODE, ...peers, '--waitForEvent', '-c', JSON.stringify({ Args: [fn, ...args] })],
        { env: { ...peerAdminEnv(abs, basePort, options.org ?? 'Org1'), FABRIC_LOGGING_SPEC: 'info' }, timeoutMs: 60_000 },
    );
    return stderr.trim();
}

async function cli(dir: string): Promise<{ peer: string; basePort: number }> {
    const state = await readState(resolve(dir));
    if (!state) throw new Error(`${dir} holds no network`);
    return { peer: join(state.fabricBinDir, 'peer'), basePort: state.basePort };
}
