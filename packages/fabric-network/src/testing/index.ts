/** Test helpers: a real Fabric network started on demand (see also ./vitest-global-setup). Not for production use. */
export { startTestNetwork, type TestNetwork, type TestNetworkOptions } from './test-network.js';
export type { FabricTestContext } from './vitest-global-setup.js';
export { invokeChaincode, queryChaincode, type InvokeOptions, type PeerCliOptions } from './peer-cli.js';
