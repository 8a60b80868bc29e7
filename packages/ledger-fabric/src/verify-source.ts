/**
 * Where verify() reads from, over real peers: the gateway session's qscc, block stream and
 * contract, and one short-lived session per other organisation's first peer (same identity).
 * Kept apart from verify.ts (the checks) so tests can run the checks on doctored inputs.
 */
import type { LocalIdentity } from '@hyperprov/ledger';
import type { FabricConnection, FabricOrganization } from './connection-file.js';
import { translateGatewayError } from './gateway-errors.js';
import { openPeerSession, type PeerSession } from './peer-session.js';
import type { BlockStream, OtherPeer, VerifySource } from './verify.js';

export interface VerifySourceOptions {
    connection: FabricConnection;
    organization: FabricOrganization;
    session: PeerSession;
    identity: LocalIdentity;
    queryTimeoutMs: number;
    /** A contract query through the ledger (so it is counted and translated like any other). */
    evaluate(fn: string, args: string[]): Promise<string>;
}

/** The source, and close() for the sessions it opened to other organisations. */
export function peerVerifySource(options: VerifySourceOptions): VerifySource & { close(): void } {
    const { session, connection } = options;
    const opened: PeerSession[] = [];
    return {
        namespace: connection.chaincode,
        chainInfo: () => session.queries.chainInfo(),
        blocks: () => blockStream(session),
        evaluate: options.evaluate,
        isValidTransaction: async (txId) => (await session.queries.validationCode(txId)) === 0,
        otherPeers: async () => {
            const peers: OtherPeer[] = [];
            for (const org of connection.organizations) {
                const peer = org.peers[0];
                if (org.mspId === options.organization.mspId || !peer) continue;
                const other = openPeerSession({
                    peer,
                    peerMspId: org.mspId,
                    identity: options.identity,
                    channel: connection.channel,
                    chaincode: connection.chaincode,
                    queryTimeoutMs: options.queryTimeoutMs,
                });
                opened.push(other);
                peers.push({ label: `${org.name}'s peer ${other.label}`, chainInfo: () => other.queries.chainInfo(), block: (n) => other.queries.block(n) });
            }
            return peers;
        },
        close: () => {
            for (const other of opened.splice(0)) other.close();
        },
    };
}

/** Every block from 0 on, as one deliver stream (one call per block would take minutes on a long chain). */
function blockStream(session: PeerSession): BlockStream {
    const opened = session.network.getBlockEvents({ startBlock: 0n });
    opened.catch(() => undefined);
    let close: (() => void) | undefined;
    return {
        close: () => close?.(),
        async *[Symbol.asyncIterator]() {
            const stream = await opened.catch((error: unknown) => {
                throw translateGatewayError(error, { fn: 'block events', peer: session.label });
            });
            close = () => stream.close();
            try {
                yield* stream;
            } catch (error) {
                throw translateGatewayError(error, { fn: 'block events', peer: session.label });
            } finally {
                stream.close();
            }
        },
    };
}
