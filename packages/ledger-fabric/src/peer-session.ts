/**
 * One gRPC connection to one peer, and the Fabric Gateway session of one identity over it. The
 * ledger keeps one session for everything it does (creating connections is expensive, and
 * fabric-gateway leaves connection management to the application for that reason); verify()
 * opens a short-lived one per other organisation.
 */
import { createPrivateKey } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Contract, type Gateway, type Network } from '@hyperledger/fabric-gateway';
import { TrackerError } from '@hyperprov/errors';
import type { LocalIdentity } from '@hyperprov/ledger';
import type { FabricEndpoint } from './connection-file.js';
import { LedgerQueries } from './qscc.js';

/** Blocks of big batches exceed gRPC's 4 MiB default; Fabric's own limit is 100 MiB. */
const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

export interface PeerSession {
    readonly client: grpc.Client;
    readonly gateway: Gateway;
    readonly network: Network;
    readonly contract: Contract;
    readonly queries: LedgerQueries;
    /** `peer0.org1.example.com (127.0.0.1:7051)`. */
    readonly label: string;
    /** Closes the gateway, then the connection. */
    close(): void;
}

export interface PeerSessionOptions {
    peer: FabricEndpoint;
    /** MSP id of the peer's organisation. */
    peerMspId: string;
    identity: LocalIdentity;
    channel: string;
    chaincode: string;
    /** Deadline of qscc queries. */
    queryTimeoutMs: number;
}

/** The gRPC client of a peer: TLS against the peer's CA, the certificate checked against tlsHostname. */
export function createPeerClient(peer: FabricEndpoint): grpc.Client {
    return new grpc.Client(peer.endpoint, grpc.credentials.createSsl(Buffer.from(peer.tlsRootCertPem)), {
        // The TLS server name and certificate check use tlsHostname, not the dialled address: an
        // IP as TLS server name is what makes Node warn (RFC 6066), and certificates name hosts.
        'grpc.ssl_target_name_override': peer.tlsHostname,
        'grpc.default_authority': peer.tlsHostname,
        // Fabric peers refuse pings more often than every 60 s (peer.keepalive.minInterval).
        'grpc.keepalive_time_ms': 120_000,
        'grpc.keepalive_timeout_ms': 20_000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
}

export function peerLabel(peer: FabricEndpoint): string {
    return `${peer.name} (${peer.endpoint})`;
}

/** Opens a session; the connection is made lazily by the first call (see waitForReady). */
export function openPeerSession(options: PeerSessionOptions): PeerSession {
    const client = createPeerClient(options.peer);
    let gateway: Gateway;
    try {
        gateway = connect({
            client,
            identity: { mspId: options.identity.mspId, credentials: Buffer.from(options.identity.certificatePem) },
            signer: signers.newPrivateKeySigner(createPrivateKey(options.identity.privateKeyPem)),
            hash: hash.sha256,
        });
    } catch (error) {
        client.close();
        throw new TrackerError('INVALID_ARGUMENT', `the identity of ${options.identity.mspId} cannot sign for Fabric: ${(error as Error).message}; it needs an ECDSA private key in PEM`, { cause: error });
    }
    const network = gateway.getNetwork(options.channel);
    const label = peerLabel(options.peer);
    return {
        client,
        gateway,
        network,
        contract: network.getContract(options.chaincode),
        queries: new LedgerQueries(network.getContract('qscc'), options.channel, options.peerMspId, label, options.queryTimeoutMs),
        label,
        close() {
            gateway.close();
            client.close();
        },
    };
}

/** Waits until the connection to the peer is up, or throws LEDGER_UNAVAILABLE naming it. */
export async function waitForReady(session: PeerSession, timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
        session.client.waitForReady(new Date(Date.now() + timeoutMs), (error) => {
            if (!error) return resolve();
            reject(
                new TrackerError(
                    'LEDGER_UNAVAILABLE',
                    `cannot connect to the Fabric peer ${session.label} within ${Math.round(timeoutMs / 1000)} s (${error.message}); is the network up? \`hyperprov-network status\` shows it; check the endpoint, tlsHostname and tlsRootCertPem in the connection file`,
                    { cause: error },
                ),
            );
        });
    });
}
