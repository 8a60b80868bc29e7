/**
 * @hyperprov/chaincode: the HyperProv provenance contract, what fabric-chaincode-node loads from
 * this package's `main`. Types, validation and the rest of the protocol are in
 * `@hyperprov/chaincode/protocol`, which does not load Fabric.
 */
import { removeLibraryProcessHandlers } from './process-handlers';
import { ProvenanceContract } from './provenance-contract';
import { configureRecordCache, recordCacheBytesFromEnv } from './record-cache';
import { skipDisabledShimLogging } from './shim-logging';

export { ProvenanceContract } from './provenance-contract';

/** The contracts fabric-chaincode-node registers from this package's `main`. */
export const contracts = [ProvenanceContract];

// Before the handlers are taken back: looking up the shim's loggers may create some, which install handlers.
skipDisabledShimLogging();
// Loaded now: take back the crash handlers fabric-contract-api's logger installed (see process-handlers.ts).
removeLibraryProcessHandlers();

// In a chaincode server (fabric-chaincode-node is told the package it serves by CORE_CHAINCODE_ID
// or --chaincode-id), lineage walks keep the committed records they read (see record-cache.ts).
// The embedded ledger imports this module too and leaves the cache off.
if (process.env.CORE_CHAINCODE_ID !== undefined || process.argv.some((arg) => arg.startsWith('--chaincode-id'))) {
    configureRecordCache({ maxBytes: recordCacheBytesFromEnv(process.env) });
}
