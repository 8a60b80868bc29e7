/**
 * @hyperprov/ledger-embedded: the default ledger. It runs the provenance contract in-process
 * against an append-only file of hash-chained blocks signed by the project's local identity, with
 * state, history and indexes in LevelDB derived from the blocks. Single machine, no server.
 */
export {
    openEmbeddedLedger,
    LEDGER_FILES,
    type EmbeddedLedger,
    type EmbeddedLedgerOptions,
    type LedgerVerification,
    type LedgerProblem,
} from './embedded-ledger.js';
export type { ContractBinding, ContractInstance } from './contract-host.js';
export { fabricClientId, LocalClientIdentity } from './client-identity.js';
