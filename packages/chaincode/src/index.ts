/**
 * @hyperprov/chaincode: the HyperProv provenance contract, what fabric-chaincode-node loads from
 * this package's `main`. Types, validation and the rest of the protocol are in
 * `@hyperprov/chaincode/protocol`, which does not load Fabric.
 */
import { removeLibraryProcessHandlers } from './process-handlers';
import { ProvenanceContract } from './provenance-contract';

export { ProvenanceContract } from './provenance-contract';

/** The contracts fabric-chaincode-node registers from this package's `main`. */
export const contracts = [ProvenanceContract];

// Loaded now: take back the crash handlers fabric-contract-api's logger installed (see process-handlers.ts).
removeLibraryProcessHandlers();
