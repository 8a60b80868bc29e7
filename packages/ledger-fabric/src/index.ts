/**
 * @hyperprov/ledger-fabric: the Hyperledger Fabric ledger. The provenance contract deployed on a
 * Fabric channel, reached through the Fabric Gateway of one organisation's peer, behind the same
 * Ledger interface as the embedded ledger. The only package that talks to Fabric.
 */
export {
    openFabricLedger,
    DEFAULT_TIMEOUTS,
    DEFAULT_COALESCING,
    type FabricLedger,
    type FabricLedgerOptions,
    type FabricTimeouts,
} from './fabric-ledger.js';
export type { CoalescerOptions } from './coalescer.js';
export {
    parseConnectionFile,
    loadConnectionFile,
    findOrganization,
    CONNECTION_FORMAT,
    type FabricConnection,
    type FabricOrganization,
    type FabricEndpoint,
    type FabricCa,
    type FabricUserFiles,
} from './connection-file.js';
export { loadConnectionUser, type ConnectionUserOptions } from './connection-identity.js';
export {
    caInfo,
    enroll,
    register,
    registerAndEnroll,
    type CaAttribute,
    type CaCredentials,
    type EnrolledIdentity,
    type FabricCaEndpoint,
    type RegisterAndEnrollOptions,
} from './ca/index.js';
