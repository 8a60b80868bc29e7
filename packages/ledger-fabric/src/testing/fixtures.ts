/** Helpers of the Fabric integration tests: the test network's connection, ledgers of its users, record inputs. */
import { createHash, randomBytes } from 'node:crypto';
import { inject } from 'vitest';
// Declares what inject() gets: fabric-network's globalSetup (vitest.config.ts) provides it.
import type {} from '@hyperprov/fabric-network/testing';
import { loadConnectionFile, type FabricConnection } from '../connection-file.js';
import { loadConnectionUser } from '../connection-identity.js';
import { gatewayContractPort, type ContractPort } from '../contract-port.js';
import { openFabricLedger, type FabricLedger, type FabricLedgerOptions } from '../fabric-ledger.js';
import { openPeerSession, type PeerSession } from '../peer-session.js';

let connection: Promise<FabricConnection> | undefined;

/** The test network's connection file, parsed once per file. */
export function testConnection(): Promise<FabricConnection> {
    connection ??= loadConnectionFile(inject('fabricConnection'));
    return connection;
}

/** A ledger through `org`'s peer, signed by that org's User1. */
export async function openTestLedger(org: 'Org1' | 'Org2' = 'Org1', options: Partial<FabricLedgerOptions> = {}): Promise<FabricLedger> {
    const conn = await testConnection();
    return openFabricLedger({ connection: conn, org, identity: await loadConnectionUser(conn, { org, user: 'User1' }), ...options });
}

/** A valid RecordInput JSON for `key`, with random bytes behind its checksum. */
export function recordInput(key: string, extra: Record<string, unknown> = {}): string {
    const checksum = createHash('sha256').update(randomBytes(16)).digest('hex');
    return JSON.stringify({ key, checksum: `sha256:${checksum}`, size: 16, location: 'file:///var/hyperprov/store', pointer: `sha256/${checksum}`, ...extra });
}

/** A key prefix no other run uses. */
export function runPrefix(name: string): string {
    return `${name}/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * The contract port under the ledger (endorse, send, status by hand) through the first peer of
 * `org`, signed by its User1: for tests that drive one transaction step by step.
 */
export async function openRawPort(connection: FabricConnection, org: 'Org1' | 'Org2', queryTimeoutMs: number): Promise<{ session: PeerSession; port: ContractPort }> {
    const organization = connection.organizations.find((o) => o.name === org) ?? connection.organizations[0]!;
    const session = openPeerSession({
        peer: organization.peers[0]!,
        peerMspId: organization.mspId,
        identity: await loadConnectionUser(connection, { org: organization.name, user: 'User1' }),
        channel: connection.channel,
        chaincode: connection.chaincode,
        queryTimeoutMs,
    });
    return { session, port: gatewayContractPort(session.gateway, session.contract, connection.channel, organization.mspId) };
}
