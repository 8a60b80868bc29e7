/**
 * The names of the files inside a ledger directory, apart from the opening and the recovery code
 * that use them, so both (and the public entry, which exports them) share one definition.
 */

/** Files inside the ledger directory. */
export const LEDGER_FILES = { blocks: 'blocks.log', state: 'state' } as const;
