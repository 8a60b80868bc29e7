/** Helpers of the Fabric integration tests: the test network's connection, ledgers of its users, record inputs. */
import { createHash, randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConnectionFile, type FabricConnection } from '../connection-file.js';
import { loadConnectionUser } from '../connection-identity.js';
import { openFabricLedger, type FabricLedger, type FabricLedgerOptions } from '../fabric-ledger.js';

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
