/**
 * The Fabric backend of the Ledger interface: the provenance contract deployed on a Fabric
 * channel, reached through the Fabric Gateway of one organisation's peer. This file ties the
 * parts together; each lives in a file of its own:
 * - connection-file.ts: the connection file (which network, which peers);
 * - peer-session.ts: the one gRPC connection and gateway session, reused by every call;
 * - transaction-runner.ts: submit until the outcome is known (conflict retries, outcome-unknown
 *   resolution by transaction id);
 * - coalescer.ts: concurrent `set` calls gathered into `setMany` transactions;
 * - chain-events.ts, qscc.ts, verify.ts: events, chain info, verification;
 * - gateway-errors.ts: every Fabric/gRPC error becomes a TrackerError there.
 * Here: options and their defaults, admission (closed), counting work in flight so close()
 * drains it, and which path a call takes.
 */
import { TrackerError } from '@hyperprov/errors';
import type { EventOptions, Ledger, LedgerEvent, LedgerInfo, LedgerVerification, LocalIdentity, SubmitResult } from '@hyperprov/ledger';
import { LIMITS } from '@hyperprov/chaincode/protocol';
import { chainEvents } from './chain-events.js';
import { SetCoalescer, type CoalescerOptions } from './coalescer.js';
import { findOrganization, loadConnectionFile, type FabricConnection, type FabricOrganization } from './connection-file.js';
import { gatewayContractPort } from './contract-port.js';
import { translateGatewayError } from './gateway-errors.js';
import { openPeerSession, waitForReady, type PeerSession } from './peer-session.js';
import { peerVerifySource } from './verify-source.js';
import { TransactionRunner, type RunnerTimeouts } from './transaction-runner.js';
import { verifyFabricChain } from './verify.js';

/** Deadlines, in ms. */
export interface FabricTimeouts extends RunnerTimeouts {
    /** Connecting to the gateway peer at open. Default 15 000. */
    connectMs: number;
    /** One evaluate (and qscc query). Default 15 000. */
    evaluateMs: number;
    /** How long events() keeps reconnecting to an unreachable peer. Default 60 000. */
    eventsReconnectMs: number;
}

/** Options of {@link openFabricLedger}. */
export interface FabricLedgerOptions {
    /** The connection file's path, or its parsed form ({@link loadConnectionFile}). */
    connection: FabricConnection | string;
    /** Organisation whose peer is the gateway: name or MSP id; default the first listed. */
    org?: string;
    /** Gateway peer of that organisation, by name; default its first peer. */
    peer?: string;
    /** Who signs: a member of one of the channel's organisations (see loadConnectionUser). */
    identity: LocalIdentity;
    timeouts?: Partial<FabricTimeouts>;
    /** Fresh proposals after MVCC / phantom read conflicts. Default 5. */
    conflictRetries?: number;
    /** Coalescing of concurrent `set` calls into `setMany`; false sends every call as it comes. */
    coalesce?: Partial<CoalescerOptions> | false;
}

/** The Fabric backend: the Ledger interface plus verify(). */
export interface FabricLedger extends Ledger {
    readonly connection: FabricConnection;
    /** The organisation whose peer is the gateway. */
    readonly organization: FabricOrganization;
    /**
     * Checks the channel's hash chain, the contract's records against it, and that every
     * organisation's peer holds the same chain (see verify.ts for exactly what and why).
     */
    verify(): Promise<LedgerVerification>;
}

export const DEFAULT_TIMEOUTS: Readonly<FabricTimeouts> = {
    connectMs: 15_000,
    evaluateMs: 15_000,
    endorseMs: 30_000,
    submitMs: 15_000,
    commitStatusMs: 10_000,
    outcomeMs: 120_000,
    eventsReconnectMs: 60_000,
};

/**
 * Batches of 32 and up to 8 in flight: measured with 64 callers on the 2-core dev network
 * (BatchTimeout 100 ms), 100-record batches gave 138 records/s, 32 gave 177-232, 16 gave 193-231:
 * the contract runs a batch's records one after another, so a few batches endorsed side by side
 * beat one big one (bench/fabric.mjs).
 */
export const DEFAULT_COALESCING: Readonly<CoalescerOptions> = { windowMs: 5, maxRecords: 32, maxBytes: 512 * 1024, maxInFlight: 8 };

/** Connects to the organisation's gateway peer and returns the ledger. */
export async function openFabricLedger(options: FabricLedgerOptions): Promise<FabricLedger> {
    const connection = typeof options.connection === 'string' ? await loadConnectionFile(options.connection) : options.connection;
    const organization = findOrganization(connection, options.org);
    const peer = options.peer === undefined ? organization.peers[0] : organization.peers.find((p) => p.name === options.peer);
    if (!peer) {
        throw new TrackerError('INVALID_ARGUMENT', `${connection.source}: organisation ${organization.name} has no peer ${JSON.stringify(options.peer)}; it lists ${organization.peers.map((p) => p.name).join(', ')}`);
    }
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const coalesce = options.coalesce === false ? false : { ...DEFAULT_COALESCING, ...options.coalesce };
    if (coalesce && (coalesce.maxRecords < 2 || coalesce.maxRecords > LIMITS.batch)) {
        throw new TrackerError('INVALID_ARGUMENT', `coalesce.maxRecords must be from 2 to ${LIMITS.batch} (the contract's batch limit), got ${coalesce.maxRecords}`);
    }
    const session = openPeerSession({
        peer,
        peerMspId: organization.mspId,
        identity: options.identity,
        channel: connection.channel,
        chaincode: connection.chaincode,
        queryTimeoutMs: timeouts.evaluateMs,
    });
    try {
        await waitForReady(session, timeouts.connectMs);
    } catch (error) {
        session.close();
        throw error;
    }
    return new FabricLedgerImpl({ connection, organization, session, identity: options.identity, timeouts, conflictRetries: options.conflictRetries ?? 5, coalesce });
}

interface Parts {
    connection: FabricConnection;
    organization: FabricOrganization;
    session: PeerSession;
    identity: LocalIdentity;
    timeouts: FabricTimeouts;
    conflictRetries: number;
    coalesce: CoalescerOptions | false;
}

const decoder = new TextDecoder();

class FabricLedgerImpl implements FabricLedger {
    readonly connection: FabricConnection;
    readonly organization: FabricOrganization;
    readonly #session: PeerSession;
    readonly #identity: LocalIdentity;
    readonly #timeouts: FabricTimeouts;
    readonly #port;
    readonly #runner: TransactionRunner;
    readonly #coalescer: SetCoalescer | undefined;
    readonly #closeHooks = new Set<() => void>();
    #inflight = 0;
    #idle: (() => void) | undefined;
    #closed: Promise<void> | undefined;

    constructor(parts: Parts) {
        this.connection = parts.connection;
        this.organization = parts.organization;
        this.#session = parts.session;
        this.#identity = parts.identity;
        this.#timeouts = parts.timeouts;
        this.#port = gatewayContractPort(parts.session.gateway, parts.session.contract, parts.connection.channel, parts.organization.mspId, parts.connection.endorsingOrganizations);
        this.#runner = new TransactionRunner(this.#port, { timeouts: parts.timeouts, conflictRetries: parts.conflictRetries, backoffMs: 50, peer: parts.session.label });
        if (parts.coalesce) {
            this.#coalescer = new SetCoalescer((fn, input, signal) => this.#run(fn, [input], signal), parts.coalesce);
        }
    }

    async submit(fn: string, args: readonly string[], options: { signal?: AbortSignal } = {}): Promise<SubmitResult> {
        this.#checkOpen();
        this.#enter();
        try {
            if (this.#coalescer && fn === 'set' && args.length === 1) return await this.#coalescer.set(args[0] as string, options.signal);
            return await this.#run(fn, args, options.signal);
        } finally {
            this.#leave();
        }
    }

    async #run(fn: string, args: readonly string[], signal?: AbortSignal): Promise<SubmitResult> {
        const committed = await this.#runner.run(fn, args, signal);
        return { transactionId: committed.transactionId, blockNumber: committed.blockNumber, result: decoder.decode(committed.result) };
    }

    async evaluate(fn: string, args: readonly string[], options: { signal?: AbortSignal } = {}): Promise<string> {
        this.#checkOpen();
        if (options.signal?.aborted) throw new TrackerError('ABORTED', `${fn} was aborted`, { cause: options.signal.reason });
        this.#enter();
        try {
            const result = await this.#port.evaluate(fn, args, new Date(Date.now() + this.#timeouts.evaluateMs));
            return decoder.decode(result);
        } catch (error) {
            throw translateGatewayError(error, { fn, peer: this.#session.label });
        } finally {
            this.#leave();
        }
    }

    events(options: EventOptions = {}): AsyncIterable<LedgerEvent> {
        if (options.startBlock !== undefined && options.startBlock < 0n) throw new TrackerError('INVALID_ARGUMENT', `startBlock must be >= 0, got ${options.startBlock}`);
        return {
            [Symbol.asyncIterator]: () => {
                this.#checkOpen();
                // "After the call": the height now, while the stream is being opened.
                const startHeight = options.startBlock === undefined ? this.#height() : undefined;
                startHeight?.catch(() => undefined);
                return chainEvents(
                    {
                        network: this.#session.network,
                        chaincode: this.connection.chaincode,
                        peer: this.#session.label,
                        height: () => this.#height(),
                        onClose: (stop) => {
                            this.#closeHooks.add(stop);
                            return () => this.#closeHooks.delete(stop);
                        },
                        reconnectMs: this.#timeouts.eventsReconnectMs,
                    },
                    options,
                    startHeight,
                );
            },
        };
    }

    async info(): Promise<LedgerInfo> {
        this.#checkOpen();
        return { backend: 'fabric', height: await this.#height() };
    }

    async verify(): Promise<LedgerVerification> {
        this.#checkOpen();
        this.#enter();
        const source = peerVerifySource({
            connection: this.connection,
            organization: this.organization,
            session: this.#session,
            identity: this.#identity,
            queryTimeoutMs: this.#timeouts.evaluateMs,
            evaluate: (fn, args) => this.evaluate(fn, args),
        });
        try {
            return await verifyFabricChain(source);
        } finally {
            source.close();
            this.#leave();
        }
    }

    close(): Promise<void> {
        this.#closed ??= (async () => {
            // Submits in flight finish (each is bounded by its outcome budget); events end now.
            for (const stop of this.#closeHooks) stop();
            if (this.#inflight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
            this.#session.close();
        })();
        return this.#closed;
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.close();
    }

    async #height(): Promise<bigint> {
        return (await this.#session.queries.chainInfo()).height;
    }

    #checkOpen(): void {
        if (this.#closed) {
            throw new TrackerError('LEDGER_UNAVAILABLE', `the Fabric ledger (${this.#session.label}) is closed; open it again to use it`);
        }
    }

    #enter(): void {
        this.#inflight += 1;
    }

    #leave(): void {
        this.#inflight -= 1;
        if (this.#inflight === 0 && this.#idle) {
            const idle = this.#idle;
            this.#idle = undefined;
            idle();
        }
    }
}
