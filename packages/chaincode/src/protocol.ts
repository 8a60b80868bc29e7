/**
 * @hyperprov/chaincode/protocol: what a client needs to speak to the provenance contract, without
 * the contract itself. Record types, limits, validation, canonical JSON, contract errors,
 * transaction names and the lineage walk. Imports nothing from Fabric or Node, so a browser page,
 * the CLI's `--help` and a Gateway client load it for free.
 */
export { PROVENANCE_CONTRACT_NAME, PROVENANCE_TRANSACTIONS, type ProvenanceTransaction } from './transactions';
export { INDEX, INDEX_VALUE } from './state-layout';
export { walkLineage, type LineageWalker } from './lineage';
export * from './record';
export * from './errors';
export * from './canonical-json';
export * from './validation';
