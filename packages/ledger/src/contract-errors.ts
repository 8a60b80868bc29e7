/**
 * The ledger boundary for contract errors. The contract throws ContractError, whose message
 * carries `[CODE] message`; over Fabric only that text survives (inside gRPC/endorsement error
 * details), in the embedded ledger the error object itself arrives. Both become a TrackerError
 * with the same code; anything without a contract code is INTERNAL, with the original as cause.
 */
import { parseContractError } from '@hyperprov/chaincode/protocol';
import { TrackerError } from '@hyperprov/errors';

/** What was being run when the error happened. */
export interface ContractErrorContext {
    /** Contract function that failed. */
    fn: string;
    transactionId?: string;
}

/** Texts to search for a `[CODE]` marker: the error's message, its details and causes. */
function candidateTexts(error: unknown, depth = 0): string[] {
    if (depth > 4 || error === null || error === undefined) return [];
    if (typeof error === 'string') return [error];
    if (typeof error !== 'object') return [String(error)];
    const texts: string[] = [];
    const record = error as { message?: unknown; details?: unknown; cause?: unknown };
    if (typeof record.message === 'string') texts.push(record.message);
    // Fabric Gateway errors carry endorsement failures as details [{message, …}].
    if (Array.isArray(record.details)) {
        for (const detail of record.details) texts.push(...candidateTexts(detail, depth + 1));
    } else if (typeof record.details === 'string') {
        texts.push(record.details);
    }
    if (record.cause !== undefined) texts.push(...candidateTexts(record.cause, depth + 1));
    return texts;
}

/**
 * Translates any error from running a contract function into a TrackerError. A TrackerError
 * passes through unchanged.
 */
export function translateContractError(error: unknown, context: ContractErrorContext): TrackerError {
    if (error instanceof TrackerError) return error;
    const options = context.transactionId === undefined ? { cause: error } : { cause: error, transactionId: context.transactionId };
    for (const text of candidateTexts(error)) {
        const parsed = parseContractError(text);
        if (parsed) return new TrackerError(parsed.code, parsed.message, options);
    }
    const text = error instanceof Error ? error.message : String(error);
    return new TrackerError(
        'INTERNAL',
        `contract function ${context.fn} failed unexpectedly: ${text}; this is a bug, please report it with the command that caused it`,
        options,
    );
}
