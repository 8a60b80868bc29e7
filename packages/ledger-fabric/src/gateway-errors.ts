/**
 * The one boundary where Fabric Gateway and gRPC errors become TrackerErrors. Everything the
 * backend calls (evaluate, endorse, submit, commit status, events, qscc) passes its errors
 * through translateGatewayError, so codes and messages are decided here only:
 * - a contract error (`[CODE] message` in the error or its details) keeps the contract's code;
 * - UNAVAILABLE → LEDGER_UNAVAILABLE, DEADLINE_EXCEEDED → TIMEOUT, naming the endpoint and
 *   pointing at `hyperprov-network status`;
 * - where the transaction may still commit (it reached the orderers), the TrackerError carries
 *   its transactionId and says so: the Ledger interface's "outcome unknown" signal. Errors of
 *   transactions known not to be recorded never carry a transactionId, so a caller can tell.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { CommitError, GatewayError, type ErrorDetail } from '@hyperledger/fabric-gateway';
import { TrackerError, type TrackerErrorCode } from '@hyperprov/errors';
import { translateContractError } from '@hyperprov/ledger';
import { parseContractError } from '@hyperprov/chaincode/protocol';

/** Where the failing call went and what it was, for messages. */
export interface GatewayCallContext {
    /** Contract function, or e.g. `qscc GetChainInfo`. */
    fn: string;
    /** `peer0.org1.example.com (127.0.0.1:7051)`. */
    peer: string;
    /** Set when the transaction reached (or may have reached) the orderers: its outcome is unknown. */
    outcomeUnknownTxId?: string;
    /** The record id the caller was to get (differs from the tx id for coalesced items). */
    recordId?: string;
}

/** Fabric's transaction validation codes, by number, for messages. */
export const VALIDATION_CODES: Readonly<Record<number, string>> = {
    0: 'VALID',
    1: 'NIL_ENVELOPE',
    2: 'BAD_PAYLOAD',
    3: 'BAD_COMMON_HEADER',
    4: 'BAD_CREATOR_SIGNATURE',
    5: 'INVALID_ENDORSER_TRANSACTION',
    6: 'INVALID_CONFIG_TRANSACTION',
    7: 'UNSUPPORTED_TX_PAYLOAD',
    8: 'BAD_PROPOSAL_TXID',
    9: 'DUPLICATE_TXID',
    10: 'ENDORSEMENT_POLICY_FAILURE',
    11: 'MVCC_READ_CONFLICT',
    12: 'PHANTOM_READ_CONFLICT',
    13: 'UNKNOWN_TX_TYPE',
    14: 'TARGET_CHAIN_NOT_FOUND',
    15: 'MARSHAL_TX_ERROR',
    16: 'NIL_TXACTION',
    17: 'EXPIRED_CHAINCODE',
    18: 'CHAINCODE_VERSION_CONFLICT',
    19: 'BAD_HEADER_EXTENSION',
    20: 'BAD_CHANNEL_HEADER',
    21: 'BAD_RESPONSE_PAYLOAD',
    22: 'BAD_RWSET',
    23: 'ILLEGAL_WRITESET',
    24: 'INVALID_WRITESET',
    25: 'INVALID_CHAINCODE',
    254: 'NOT_VALIDATED',
    255: 'INVALID_OTHER_REASON',
};

/** MVCC_READ_CONFLICT and PHANTOM_READ_CONFLICT: invalid, and a fresh proposal may succeed. */
export const CONFLICT_CODES: ReadonlySet<number> = new Set([11, 12]);

const NETWORK_HINT = 'is the network up? `hyperprov-network status` shows it';

/** The gRPC status code of an error from the gateway or grpc-js, if it has one. */
export function grpcCode(error: unknown): number | undefined {
    if (error instanceof GatewayError) return error.code;
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'number' && error instanceof Error && 'details' in error ? code : undefined;
}

/** The gateway's per-node error details as one line: `peer0 (Org2MSP, 127.0.0.1:9051): message; …`. */
function detailsText(error: unknown): string {
    const details = (error as { details?: unknown }).details;
    if (!Array.isArray(details) || details.length === 0) return '';
    return (details as ErrorDetail[])
        .map((d) => `${d.address || '?'}${d.mspId ? ` (${d.mspId})` : ''}: ${d.message}`)
        .join('; ');
}

function describe(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    const details = detailsText(error);
    return details ? `${message} [${details}]` : message;
}

/** True when the error, its details or causes carry a contract `[CODE]`. */
function hasContractCode(error: unknown): boolean {
    const texts = [error instanceof Error ? error.message : String(error), detailsText(error)];
    return texts.some((t) => parseContractError(t) !== undefined);
}

function unknownOutcome(ctx: GatewayCallContext): string {
    const id = ctx.recordId ?? ctx.outcomeUnknownTxId;
    return (
        ` The transaction ${ctx.outcomeUnknownTxId} reached the orderers, so it may still commit: ` +
        `check with \`hyperprov show ${id}\` before recording it again.`
    );
}

function withOutcome(code: TrackerErrorCode, message: string, error: unknown, ctx: GatewayCallContext): TrackerError {
    if (ctx.outcomeUnknownTxId === undefined) return new TrackerError(code, message, { cause: error });
    return new TrackerError(code, message + unknownOutcome(ctx), { cause: error, transactionId: ctx.recordId ?? ctx.outcomeUnknownTxId });
}

/** Translates any error of a gateway call into a TrackerError (see the file comment). */
export function translateGatewayError(error: unknown, ctx: GatewayCallContext): TrackerError {
    if (error instanceof TrackerError) return error;
    if (error instanceof CommitError) return commitFailure(error.code, error.transactionId, ctx, error);
    // A contract error is the contract's answer: nothing was recorded (it fails at endorsement).
    if (hasContractCode(error)) return translateContractError(error, { fn: ctx.fn });
    const code = grpcCode(error);
    const what = `${ctx.fn} via ${ctx.peer}`;
    const text = describe(error);
    switch (code) {
        case grpcStatus.UNAVAILABLE:
            if (/failed to find any endorsing peers for org/i.test(text)) {
                // Asked before any endorsement: nothing was sent to a peer, let alone recorded.
                return withOutcome('LEDGER_UNAVAILABLE', `${what}: the gateway peer knows no peer of an organisation named in the connection file's "endorsingOrganizations" (${text}); that organisation's peer is down or just started and not yet known through gossip (retry in a few seconds), or the MSP id there is wrong (fix it, or remove the field to let the gateway choose); ${NETWORK_HINT}.`, error, ctx);
            }
            if (/no orderers could successfully process|orderer/i.test(text)) {
                return withOutcome('LEDGER_UNAVAILABLE', `${what}: the ordering service did not accept the transaction (${text}); ${NETWORK_HINT} (are the orderers up and is there a Raft leader?).`, error, ctx);
            }
            return withOutcome('LEDGER_UNAVAILABLE', `${what}: cannot reach the Fabric peer (${text}); ${NETWORK_HINT}.`, error, ctx);
        case grpcStatus.DEADLINE_EXCEEDED:
            return withOutcome('TIMEOUT', `${what} did not answer in time (${text}); the network may be overloaded or down: ${NETWORK_HINT}.`, error, ctx);
        case grpcStatus.RESOURCE_EXHAUSTED:
            return withOutcome('LEDGER_UNAVAILABLE', `${what}: the peer refused the call because it is overloaded (${text}); send fewer calls at once or raise the peer's gateway concurrency limit (CORE_PEER_LIMITS_CONCURRENCY_GATEWAYSERVICE).`, error, ctx);
        case grpcStatus.PERMISSION_DENIED:
        case grpcStatus.UNAUTHENTICATED:
            return withOutcome('PERMISSION_DENIED', `${what}: the network refused this identity (${text}); use a certificate issued by one of the channel's organisations, with that organisation's MSP id.`, error, ctx);
        case grpcStatus.NOT_FOUND:
            return withOutcome('LEDGER_UNAVAILABLE', `${what}: not found on the network (${text}); check "channel" and "chaincode" in the connection file, and that the contract is deployed.`, error, ctx);
        case grpcStatus.CANCELLED:
            // Cancelled under a transaction the orderers may have is still an unknown outcome.
            if (ctx.outcomeUnknownTxId !== undefined) return withOutcome('LEDGER_UNAVAILABLE', `${what} was cancelled (${text}).`, error, ctx);
            return new TrackerError('ABORTED', `${what} was cancelled (${text}); nothing was recorded.`, { cause: error });
        case undefined:
            return translateContractError(error, { fn: ctx.fn });
        case grpcStatus.FAILED_PRECONDITION:
            if (/no (peer )?combination of peers|satisfy the endorsement policy/i.test(text)) {
                return withOutcome('LEDGER_UNAVAILABLE', `${what}: the gateway peer knows no peers of every organisation the endorsement policy needs (${text}); a peer of another organisation is down, or was just started and is not yet known through gossip (retry in a few seconds); ${NETWORK_HINT}.`, error, ctx);
            }
            return withOutcome('LEDGER_UNAVAILABLE', `${what} failed on the network (${text}); ${NETWORK_HINT}.`, error, ctx);
        default:
            if (/could not launch chaincode|chaincode .* not found|connection refused|chaincode stream terminated/i.test(text)) {
                return withOutcome('LEDGER_UNAVAILABLE', `${what}: the contract is not running on the network (${text}); ${NETWORK_HINT}.`, error, ctx);
            }
            if (/chaincode response 500/.test(text)) {
                // The contract threw something other than a ContractError: a bug in the contract.
                return translateContractError(error, { fn: ctx.fn });
            }
            return withOutcome('LEDGER_UNAVAILABLE', `${what} failed on the network (${text}); ${NETWORK_HINT}.`, error, ctx);
    }
}

/**
 * A transaction that committed as invalid: certainly not recorded, so no transactionId field.
 * Conflicts are CONFLICT (retrying may succeed); the rest say what the network refused.
 */
export function commitFailure(code: number, transactionId: string, ctx: GatewayCallContext, cause?: unknown): TrackerError {
    const name = VALIDATION_CODES[code] ?? `code ${code}`;
    const base = `${ctx.fn}: transaction ${transactionId} was committed as invalid (${name}), so nothing was recorded`;
    const options = cause === undefined ? {} : { cause };
    if (CONFLICT_CODES.has(code)) {
        return new TrackerError('CONFLICT', `${base}; it kept conflicting with concurrent writes of the same keys after retries: run the command again`, options);
    }
    if (code === 10) {
        return new TrackerError('LEDGER_UNAVAILABLE', `${base}: the endorsement policy was not met; are the peers of every organisation up? ${NETWORK_HINT}`, options);
    }
    return new TrackerError('LEDGER_UNAVAILABLE', `${base}; the network refused it: check the peers' logs (${NETWORK_HINT})`, options);
}

/** The commit could not be confirmed within the budget although the orderers may have it. */
export function outcomeUnknown(lastError: unknown, ctx: GatewayCallContext & { outcomeUnknownTxId: string }, waitedMs: number): TrackerError {
    const seconds = Math.round(waitedMs / 1000);
    if (lastError !== undefined) {
        const translated = translateGatewayError(lastError, ctx);
        if (translated.transactionId !== undefined && (translated.code === 'LEDGER_UNAVAILABLE' || translated.code === 'TIMEOUT')) {
            return new TrackerError(translated.code, `${ctx.fn}: its commit was not confirmed within ${seconds} s. ${translated.message}`, {
                cause: lastError,
                transactionId: translated.transactionId,
            });
        }
    }
    return withOutcome('TIMEOUT', `${ctx.fn} via ${ctx.peer}: its commit was not confirmed within ${seconds} s; ${NETWORK_HINT}.`, lastError, ctx);
}

/**
 * The outcome-unknown error of a coalesced batch, as one of its callers sees it: carrying the
 * caller's own record id (`<txId>.<n>`), which is what it would have got on success.
 */
export function forBatchItem(error: TrackerError, transactionId: string, recordId: string): TrackerError {
    if (error.transactionId === undefined) return error;
    const message = error.message.split(`hyperprov show ${transactionId}\``).join(`hyperprov show ${recordId}\``);
    return new TrackerError(error.code, `${message} (record ${recordId} of a batch of coalesced records)`, { cause: error, transactionId: recordId });
}
