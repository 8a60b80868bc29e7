/**
 * Every callable transaction of the provenance contract. `submit: true` means it writes and must
 * be submitted (ordered and committed); `submit: false` means read-only, evaluate only. The
 * embedded ledger dispatches with this table and refuses writes in evaluate; a test checks it
 * against the decorators' metadata so the two never drift apart.
 */
export const PROVENANCE_TRANSACTIONS = {
    set: { submit: true },
    setMany: { submit: true },
    get: { submit: false },
    getFromId: { submit: false },
    checkHash: { submit: false },
    getByChecksum: { submit: false },
    getKeyHistory: { submit: false },
    getByRange: { submit: false },
    getByCreator: { submit: false },
    getDependencies: { submit: false },
    getDependents: { submit: false },
    getRuns: { submit: false },
    getRun: { submit: false },
} as const satisfies { readonly [fn: string]: { readonly submit: boolean } };

/** Name of a callable provenance transaction. */
export type ProvenanceTransaction = keyof typeof PROVENANCE_TRANSACTIONS;

/** Contract name under which fabric-contract-api registers the provenance contract. */
export const PROVENANCE_CONTRACT_NAME = 'provenance';
