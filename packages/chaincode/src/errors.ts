/**
 * Errors thrown by the contract. Fabric only carries the message string back to the client,
 * so the code travels inside it as a `[CODE]` prefix that the tracker parses at its ledger boundary.
 */

export type ContractErrorCode =
    | 'INVALID_ARGUMENT'
    | 'NOT_FOUND'
    | 'DEPENDENCY_NOT_FOUND'
    | 'CONFLICT';

export const CONTRACT_ERROR_CODES: readonly ContractErrorCode[] = [
    'INVALID_ARGUMENT',
    'NOT_FOUND',
    'DEPENDENCY_NOT_FOUND',
    'CONFLICT',
];

export class ContractError extends Error {
    readonly code: ContractErrorCode;

    constructor(code: ContractErrorCode, message: string) {
        super(`[${code}] ${message}`);
        this.name = 'ContractError';
        this.code = code;
    }
}

/** Extracts `{code, message}` from any text carrying a `[CODE] message` contract error. */
export function parseContractError(text: string): { code: ContractErrorCode; message: string } | undefined {
    const match = /\[([A-Z_]+)\] ([\s\S]*)$/.exec(text);
    if (!match) return undefined;
    const code = match[1] as ContractErrorCode;
    if (!CONTRACT_ERROR_CODES.includes(code)) return undefined;
    return { code, message: match[2] ?? '' };
}
