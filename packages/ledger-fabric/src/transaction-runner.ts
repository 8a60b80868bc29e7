/**
 * Runs one contract function as a Fabric transaction until its outcome is known. The rules, in
 * the order a transaction meets them:
 *
 * 1. Endorse a fresh proposal (new transaction id). An endorsement failure means nothing reached
 *    the orderers: the error is definitive (no transactionId on it), with one exception:
 *    DEPENDENCY_NOT_FOUND is endorsed again a few times within about a second (`lagRetries`),
 *    because a commit status comes from the gateway's peer while the other organisation's peer
 *    may not have committed that block yet: a record that depends on one committed a moment ago
 *    would otherwise fail on a peer that is milliseconds behind. An abort is honoured up to
 *    here and until the first send; after that the transaction may be ordered, so the call
 *    waits for the outcome like the embedded ledger does after ordering.
 * 2. Send the signed transaction to the orderers, then wait for its commit status.
 * 3. Committed VALID → success with the status's block number. Committed invalid with
 *    MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT (11, 12) → certainly not recorded, so a fresh
 *    proposal is endorsed after a jittered exponential back-off, at most `conflictRetries`
 *    times. Any other invalid code → definitive failure (commitFailure).
 * 4. Outcome unknown (the send failed or timed out, the status call failed or timed out, the
 *    peer connection dropped, the orderers lost quorum): the transaction is resolved by its id.
 *    The status is asked for again and the *same signed transaction* is sent again, with
 *    back-off, until the outcome budget (`outcomeMs`) is spent. Sending the same bytes again is
 *    always safe: Fabric's validator marks every later copy of a transaction id
 *    DUPLICATE_TXID, and the commit status of an id is that of its first copy in the chain, so
 *    the record is committed at most once and the status tells which way it went. A fresh
 *    proposal is never made in this state (it would have a new id and could record twice).
 * 5. Budget spent with the outcome still unknown → TIMEOUT or LEDGER_UNAVAILABLE carrying the
 *    transaction id and saying the transaction may still commit. Success is only ever reported
 *    from a VALID commit status.
 * A send the orderer rejects with a 4xx status (bad request, forbidden, too large) on the first
 * attempt is definitive: the orderer checks the envelope deterministically, and no earlier copy
 * exists.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { TrackerError } from '@hyperprov/errors';
import type { ContractPort, EndorsedTransaction } from './contract-port.js';
import { CONFLICT_CODES, commitFailure, grpcCode, outcomeUnknown, translateGatewayError, type GatewayCallContext } from './gateway-errors.js';

/** Timing of the submit path; every call has a deadline. */
export interface RunnerTimeouts {
    /** Endorsement by the peers of every organisation the policy needs. Default 30 000. */
    endorseMs: number;
    /** One send to the orderers. Default 15 000. */
    submitMs: number;
    /** One wait for the commit status, after which the transaction is sent again. Default 10 000. */
    commitStatusMs: number;
    /** Total time to learn the outcome of a transaction the orderers may have. Default 120 000. */
    outcomeMs: number;
}

export interface RunnerOptions {
    timeouts: RunnerTimeouts;
    /** Fresh proposals after MVCC / phantom conflicts. Default 5. */
    conflictRetries: number;
    /** Fresh proposals after DEPENDENCY_NOT_FOUND at endorsement (a peer behind). Default 5 (about 1.5 s). */
    lagRetries?: number;
    /** First back-off in ms (conflicts and resends); doubles each time, ±50 % jitter. Default 50. */
    backoffMs: number;
    /** The gateway peer, for messages. */
    peer: string;
    /** Clock and sleep, replaceable in tests. */
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
}

/** A committed transaction. */
export interface Committed {
    transactionId: string;
    blockNumber: bigint;
    result: Uint8Array;
}

const MAX_BACKOFF_MS = 5_000;

/** Orderer answers that reject the envelope itself (see the file comment). */
const ORDERER_REJECTS = /status=(BAD_REQUEST|FORBIDDEN|REQUEST_ENTITY_TOO_LARGE)/;

export class TransactionRunner {
    readonly #port: ContractPort;
    readonly #options: RunnerOptions;
    readonly #now: () => number;
    readonly #sleep: (ms: number) => Promise<void>;
    readonly #random: () => number;

    constructor(port: ContractPort, options: RunnerOptions) {
        this.#port = port;
        this.#options = options;
        this.#now = options.now ?? Date.now;
        this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
        this.#random = options.random ?? Math.random;
    }

    /** Runs `fn` until committed VALID, or throws a TrackerError (see the file comment). */
    async run(fn: string, args: readonly string[], signal?: AbortSignal): Promise<Committed> {
        const ctx: GatewayCallContext = { fn, peer: this.#options.peer };
        const lagRetries = this.#options.lagRetries ?? 5;
        for (let conflicts = 0, lagged = 0; ; ) {
            checkAborted(signal, fn);
            let endorsed: EndorsedTransaction;
            try {
                endorsed = await this.#port.endorse(fn, args, this.#deadline(this.#options.timeouts.endorseMs));
            } catch (error) {
                const failure = translateGatewayError(error, ctx);
                if (failure.code !== 'DEPENDENCY_NOT_FOUND' || lagged >= lagRetries) throw failure;
                await this.#sleep(this.#backoff(lagged++));
                continue;
            }
            checkAborted(signal, fn);
            const status = await this.#resolve(endorsed, ctx);
            if (status.code === 0) return { transactionId: endorsed.transactionId, blockNumber: status.blockNumber, result: endorsed.result };
            if (!CONFLICT_CODES.has(status.code) || conflicts >= this.#options.conflictRetries) {
                throw commitFailure(status.code, endorsed.transactionId, ctx);
            }
            await this.#sleep(this.#backoff(conflicts++));
        }
    }

    /** Steps 2, 4 and 5 of the file comment: the commit status of a sent transaction. */
    async #resolve(tx: EndorsedTransaction, base: GatewayCallContext): Promise<{ code: number; blockNumber: bigint }> {
        const { submitMs, commitStatusMs, outcomeMs } = this.#options.timeouts;
        const ctx = { ...base, outcomeUnknownTxId: tx.transactionId };
        const started = this.#now();
        const budgetEnd = started + outcomeMs;
        let sends = 0;
        let lastError: unknown;
        // Why the orderers did not take the transaction says more than a status wait that timed
        // out after it (e.g. "no orderers could successfully process": Raft quorum lost), so the
        // last send error is kept apart and reported first.
        let lastSendError: unknown;
        let retry = 0;
        const unknown = (): TrackerError => outcomeUnknown(lastSendError ?? lastError, ctx, this.#now() - started);
        for (;;) {
            let sent = false;
            try {
                sends += 1;
                await tx.submit(this.#deadline(Math.min(submitMs, Math.max(1, budgetEnd - this.#now()))));
                sent = true;
            } catch (error) {
                if (sends === 1 && ORDERER_REJECTS.test(describe(error)) && grpcCode(error) === grpcStatus.ABORTED) {
                    // Definitive: the orderer refused this envelope and no copy of it was sent before.
                    throw translateGatewayError(error, base);
                }
                lastSendError = error;
            }
            if (sent) lastSendError = undefined;
            // After a failed send, ask briefly (an earlier copy may have landed) and send again soon.
            const wait = sent ? commitStatusMs : this.#backoff(retry);
            const remaining = budgetEnd - this.#now();
            if (remaining <= 0) throw unknown();
            try {
                const status = await tx.status(this.#deadline(Math.min(wait, remaining)));
                if (status.code !== 9) return status;
                // DUPLICATE_TXID as the status of an id means its first copy is itself a
                // duplicate, which Fabric does not produce: do not guess either way.
                lastError = new Error(`the peer reports transaction ${tx.transactionId} as DUPLICATE_TXID`);
            } catch (error) {
                lastError = error;
                const code = grpcCode(error);
                if (code !== grpcStatus.DEADLINE_EXCEEDED) {
                    // The peer is unreachable or failed: pause before asking and sending again.
                    const pause = Math.min(this.#backoff(retry), Math.max(0, budgetEnd - this.#now()));
                    if (pause > 0) await this.#sleep(pause);
                }
            }
            retry += 1;
            if (this.#now() >= budgetEnd) throw unknown();
        }
    }

    #deadline(ms: number): Date {
        return new Date(this.#now() + ms);
    }

    #backoff(attempt: number): number {
        const base = Math.min(MAX_BACKOFF_MS, this.#options.backoffMs * 2 ** Math.min(attempt, 16));
        return Math.round(base * (0.5 + this.#random()));
    }
}

function describe(error: unknown): string {
    const details = (error as { details?: { message?: string }[] }).details;
    const texts = [error instanceof Error ? error.message : String(error), ...(Array.isArray(details) ? details.map((d) => d.message ?? '') : [])];
    return texts.join(' ');
}

function checkAborted(signal: AbortSignal | undefined, fn: string): void {
    if (signal?.aborted) throw new TrackerError('ABORTED', `${fn} was aborted before it was sent to the orderers; nothing was recorded`, { cause: signal.reason });
}
