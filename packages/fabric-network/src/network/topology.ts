/**
 * The shape of the network, fixed: one orderer org with three Raft orderers, two peer orgs with one
 * peer and one Fabric CA each, one chaincode server; every port derived from one base port so two
 * networks on one machine differ by nothing but that number.
 */

export const CHANNEL = 'hyperprov';
export const CHAINCODE = 'hyperprov';
/** The CCaaS package label (also the prefix of the package id). */
export const CHAINCODE_LABEL = 'hyperprov';
export const CHAINCODE_VERSION = '1';
export const DEFAULT_BASE_PORT = 7000;
/** Ports a network occupies from its base port on: base .. base + PORT_SPAN - 1. */
export const PORT_SPAN = 80;
/** The Fabric CA bootstrap registrar of each org. */
export const CA_REGISTRAR = { enrollId: 'admin', enrollSecret: 'adminpw' } as const;

export const ORDERER_DOMAIN = 'example.com';
export const ORDERER_MSP_ID = 'OrdererMSP';
export const ORDERERS = ['orderer1', 'orderer2', 'orderer3'] as const;

export interface OrgTopology {
    /** `Org1`: the cryptogen org name and the connection file's `name`. */
    name: string;
    mspId: string;
    domain: string;
    /** Node names (what stop-node / start-node take). */
    peer: string;
    ca: string;
    /** The Fabric CA's `caName` (clients pass it to pick the CA). */
    caName: string;
}

export const ORGS: readonly OrgTopology[] = [
    { name: 'Org1', mspId: 'Org1MSP', domain: 'org1.example.com', peer: 'peer0.org1', ca: 'ca.org1', caName: 'ca-org1' },
    { name: 'Org2', mspId: 'Org2MSP', domain: 'org2.example.com', peer: 'peer0.org2', ca: 'ca.org2', caName: 'ca-org2' },
];

export type NodeKind = 'orderer' | 'peer' | 'ca' | 'chaincode';

/** Every process of the network, in start order: orderers, peers, CAs, chaincode. */
export const NODE_NAMES: readonly string[] = [...ORDERERS, ...ORGS.map((o) => o.peer), ...ORGS.map((o) => o.ca), 'chaincode'];

export function nodeKind(name: string): NodeKind {
    if ((ORDERERS as readonly string[]).includes(name)) return 'orderer';
    if (ORGS.some((o) => o.peer === name)) return 'peer';
    if (ORGS.some((o) => o.ca === name)) return 'ca';
    if (name === 'chaincode') return 'chaincode';
    throw new Error(`unknown node ${JSON.stringify(name)}; the nodes are ${NODE_NAMES.join(', ')}`);
}

/** The TLS/MSP host name of a node: orderer1.example.com, peer0.org1.example.com, ca.org1.example.com. */
export function hostName(name: string): string {
    if ((ORDERERS as readonly string[]).includes(name)) return `${name}.${ORDERER_DOMAIN}`;
    const org = ORGS.find((o) => o.peer === name || o.ca === name);
    if (org) return `${name.split('.')[0]}.${org.domain}`;
    return name;
}

export function orgOf(name: string): OrgTopology {
    const org = ORGS.find((o) => o.peer === name || o.ca === name);
    if (!org) throw new Error(`${name} belongs to no peer org`);
    return org;
}

/** The ports of one node; only the ones its kind uses are set. */
export interface NodePorts {
    /** gRPC (orderer, peer), HTTPS (CA) or the chaincode server's gRPC. */
    listen: number;
    /** Orderer: channel participation API (plain HTTP on loopback). */
    admin?: number;
    /** Orderer, peer, CA: /healthz and /metrics (plain HTTP on loopback). */
    operations?: number;
    /** Peer: where chaincode launched by the peer would dial in (unused by CCaaS but must not collide). */
    chaincode?: number;
}

/**
 * The port layout: ten ports per node, in NODE_NAMES order.
 * orderer<i>: base+10(i-1) +0 listen, +1 admin, +2 operations; peer0.org<i>: base+30/40 +0 listen,
 * +1 chaincode, +2 operations; ca.org<i>: base+50/60 +0 listen, +2 operations; chaincode: base+70.
 */
export function portsOf(name: string, basePort: number): NodePorts {
    const index = NODE_NAMES.indexOf(name);
    if (index < 0) nodeKind(name); // throws the helpful error
    const at = basePort + 10 * index;
    switch (nodeKind(name)) {
        case 'orderer':
            return { listen: at, admin: at + 1, operations: at + 2 };
        case 'peer':
            return { listen: at, chaincode: at + 1, operations: at + 2 };
        case 'ca':
            return { listen: at, operations: at + 2 };
        case 'chaincode':
            return { listen: at };
    }
}

/** Every port a network on `basePort` listens on. */
export function allPorts(basePort: number): number[] {
    return NODE_NAMES.flatMap((name) => Object.values(portsOf(name, basePort)) as number[]);
}

export function checkBasePort(basePort: number): void {
    if (!Number.isInteger(basePort) || basePort < 1024 || basePort + PORT_SPAN > 65536) {
        throw new RangeError(`base port must be an integer from 1024 to ${65536 - PORT_SPAN}, got ${basePort}`);
    }
}
