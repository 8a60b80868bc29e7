/**
 * `<dir>/connection.json`, the contract with clients (@hyperprov/ledger-fabric): where the peers,
 * orderers and CAs listen, their TLS roots inline, and the cryptogen users' certificate and key
 * paths relative to the file's own folder (so the folder can be moved or mounted elsewhere).
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { cryptoPaths } from './crypto-material.js';
import { CA_REGISTRAR, CHAINCODE, CHANNEL, ORDERERS, ORGS, hostName, portsOf } from './topology.js';

export const CONNECTION_FORMAT = 'hyperprov-fabric-connection/1';

export interface ConnectionPeer {
    name: string;
    /** host:port to dial. */
    endpoint: string;
    /** The name to verify the TLS certificate against (set it as the gRPC ssl target name override). */
    tlsHostname: string;
    tlsRootCertPem: string;
    /** /healthz and /metrics, plain HTTP. */
    operationsUrl: string;
}

export interface ConnectionUser {
    /** PEM certificate file, relative to the connection file's folder. */
    certificate: string;
    /** PEM (PKCS#8) private key file, relative to the connection file's folder. */
    privateKey: string;
}

export interface ConnectionOrganization {
    name: string;
    mspId: string;
    peers: ConnectionPeer[];
    ca: {
        url: string;
        caName: string;
        tlsRootCertPem: string;
        registrar: { enrollId: string; enrollSecret: string };
    };
    users: { User1: ConnectionUser; Admin: ConnectionUser } & Record<string, ConnectionUser>;
}

export interface ConnectionOrderer {
    name: string;
    endpoint: string;
    tlsHostname: string;
    tlsRootCertPem: string;
    /** Channel participation API, plain HTTP. */
    adminUrl: string;
    operationsUrl: string;
}

export interface FabricConnection {
    format: typeof CONNECTION_FORMAT;
    channel: string;
    chaincode: string;
    organizations: ConnectionOrganization[];
    orderers: ConnectionOrderer[];
    /** Every organisation: MAJORITY endorsement of two needs both, and the gateway then asks both at once. */
    endorsingOrganizations: string[];
}

export function connectionFile(dir: string): string {
    return join(dir, 'connection.json');
}

export function buildConnection(dir: string, basePort: number): FabricConnection {
    const pem = (file: string): string => readFileSync(file, 'utf8');
    const rel = (file: string): string => relative(dir, file).split('\\').join('/');
    return {
        format: CONNECTION_FORMAT,
        channel: CHANNEL,
        chaincode: CHAINCODE,
        organizations: ORGS.map((org) => {
            const peerPorts = portsOf(org.peer, basePort);
            const user = (name: 'User1' | 'Admin'): ConnectionUser => {
                const files = cryptoPaths.user(dir, org, name);
                return { certificate: rel(files.cert), privateKey: rel(files.key) };
            };
            return {
                name: org.name,
                mspId: org.mspId,
                peers: [
                    {
                        name: hostName(org.peer),
                        endpoint: `127.0.0.1:${peerPorts.listen}`,
                        tlsHostname: 'localhost',
                        tlsRootCertPem: pem(cryptoPaths.orgTlsCa(dir, org)),
                        operationsUrl: `http://127.0.0.1:${peerPorts.operations}`,
                    },
                ],
                ca: {
                    url: `https://127.0.0.1:${portsOf(org.ca, basePort).listen}`,
                    caName: org.caName,
                    tlsRootCertPem: pem(cryptoPaths.orgTlsCa(dir, org)),
                    registrar: { ...CA_REGISTRAR },
                },
                users: { User1: user('User1'), Admin: user('Admin') },
            };
        }),
        orderers: ORDERERS.map((name) => {
            const ports = portsOf(name, basePort);
            return {
                name: hostName(name),
                endpoint: `127.0.0.1:${ports.listen}`,
                tlsHostname: 'localhost',
                tlsRootCertPem: pem(cryptoPaths.ordererTlsCa(dir)),
                adminUrl: `http://127.0.0.1:${ports.admin}`,
                operationsUrl: `http://127.0.0.1:${ports.operations}`,
            };
        }),
        // Named, the gateway endorses on both peers at once instead of on its own peer first and
        // then the other's. bench/fabric-endorsers.mjs (2 cores): setMany of 100 one after another
        // 502-526 -> 568-572 records/s, a lone record 51-52 -> 48-49 ms; 4 in flight (CPU-bound) unchanged.
        endorsingOrganizations: ORGS.map((org) => org.mspId),
    };
}

/** Writes the connection file atomically and returns its path. */
export async function writeConnectionFile(dir: string, basePort: number): Promise<string> {
    const file = connectionFile(dir);
    await writeFileAtomic(file, `${JSON.stringify(buildConnection(dir, basePort), null, 2)}\n`);
    return file;
}
