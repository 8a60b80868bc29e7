/**
 * @hyperprov/chaincode: the HyperProv provenance contract. fabric-chaincode-node loads
 * `contracts`; the embedded ledger and the tracker import the rest.
 */
import { removeLibraryProcessHandlers } from './process-handlers';
import { ProvenanceContract } from './provenance-contract';

export { ProvenanceContract } from './provenance-contract';
export { PROVENANCE_CONTRACT_NAME, PROVENANCE_TRANSACTIONS, type ProvenanceTransaction } from './transactions';
export { INDEX, INDEX_VALUE } from './state-layout';
export { walkLineage, type LineageWalker } from './lineage';
export * from './record';
export * from './errors';
export * from './canonical-json';
export * from './validation';

/** The contracts fabric-chaincode-node registers from this package's `main`. */
export const contracts = [ProvenanceContract];

// Loaded now: take back the crash handlers fabric-contract-api's logger installed (see process-handlers.ts).
removeLibraryProcessHandlers();
