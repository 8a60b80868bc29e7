export {
    openEmbeddedLedger,
    LEDGER_FILES,
    type EmbeddedLedger,
    type EmbeddedLedgerOptions,
    type LedgerVerification,
    type LedgerProblem,
} from './embedded-ledger.js';
export type { ContractBinding, ContractInstance } from './contract-host.js';
