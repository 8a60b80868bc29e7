/**
 * What a ledger's own verification reports. Shared by every backend that can check itself (the
 * embedded ledger re-derives its state from its blocks; the Fabric backend checks the channel's
 * hash chain, its records against the chain, and that the organisations' peers agree), so the
 * tracker prints one report whatever the backend.
 */

/** One thing verify() found wrong. */
export interface LedgerProblem {
    /** Number of the block concerned, when there is one. */
    block?: number;
    /** State key concerned, when there is one. */
    key?: string;
    message: string;
}

/** Result of a ledger's verify(). */
export interface LedgerVerification {
    ok: boolean;
    /** Number of blocks checked (the ledger height). */
    height: bigint;
    /** In order of discovery: chain problems first (the first bad block first), then state. */
    problems: LedgerProblem[];
    /** Things worth knowing that are not problems (e.g. an interrupted write the next write cuts off). */
    notes?: string[];
}
