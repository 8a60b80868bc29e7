/**
 * @hyperprov/fabric-network: Hyperledger Fabric binaries (found or built into the HyperProv cache)
 * and a real local Fabric network run as plain processes, for development and integration tests.
 * Clients read the connection file `up` writes (`FabricConnection`).
 */
export { ensureFabricBinaries, type EnsureOptions, type FabricBinaries } from './install/ensure.js';
export { findFabric, findFabricCa, type FabricCaInstall, type FabricInstall, type InstallSource } from './install/locate.js';
export { fabricCacheDir, fabricCaCacheDir, fabricSourceDir, hyperprovCacheDir } from './install/cache-paths.js';
export { startNetwork, stopNetwork, startNode, stopNode, type StartOptions, type StartResult, type StopResult } from './network/network.js';
export { networkStatus, type NetworkStatus, type NodeStatus } from './network/network-status.js';
export {
    CONNECTION_FORMAT,
    connectionFile,
    type ConnectionOrderer,
    type ConnectionOrganization,
    type ConnectionPeer,
    type ConnectionUser,
    type FabricConnection,
} from './network/connection-file.js';
export { fetchMetrics, metricSamples, metricValue } from './network/metrics.js';
export { CHAINCODE, CHANNEL, DEFAULT_BASE_PORT, NODE_NAMES, PORT_SPAN, portsOf, type NodePorts } from './network/topology.js';
export { FABRIC_CA_VERSION, FABRIC_VERSION } from './versions.js';
