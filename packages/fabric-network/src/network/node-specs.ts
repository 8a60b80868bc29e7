/**
 * What each process of the network runs: program, arguments, working folder and the complete
 * environment (nothing is inherited from the shell that ran `up`, so a restart with the stored spec
 * is the same process again), plus how to tell it is ready. Written to network.json once, when
 * the network is created; `up`, `start-node` and resumes use the stored specs as they are.
 */
import { join } from 'node:path';
import type { FabricBinaries } from '../install/ensure.js';
import { cryptoPaths } from './crypto-material.js';
import { CA_REGISTRAR, NODE_NAMES, ORDERER_MSP_ID, ORDERERS, ORGS, hostName, nodeKind, orgOf, portsOf, type NodeKind, type NodePorts } from './topology.js';

/** How readiness is checked. */
export type Readiness =
    /** GET must answer 200 (orderer and peer /healthz). */
    | { kind: 'http'; url: string }
    /** GET over TLS with this root must answer 200 (the CA's /cainfo). */
    | { kind: 'https'; url: string; rootCertFile: string }
    /** A TCP connect must succeed (the chaincode server). */
    | { kind: 'tcp'; port: number };

export interface NodeSpec {
    name: string;
    kind: NodeKind;
    program: string;
    args: string[];
    cwd: string;
    env: Record<string, string>;
    ports: NodePorts;
    readiness: Readiness;
}

export interface SpecInputs {
    dir: string;
    basePort: number;
    binaries: FabricBinaries;
    /** The chaincode package id the server answers to (the peers' installed package). */
    packageId: string;
    /** The contract package folder (its main is what fabric-shim loads) and fabric-shim's cli.js. */
    chaincodeDir: string;
    shimCli: string;
    /** FABRIC_LOGGING_SPEC for orderers and peers. */
    loggingSpec: string;
}

/** Fabric's default log format minus the terminal colours, since logs go to files. */
const LOG_FORMAT = '%{time:2006-01-02 15:04:05.000 MST} %{id:04x} %{level:.4s} [%{module}] %{shortfunc} -> %{message}';

/** The environment every process starts from: a PATH for the CCaaS builder's helpers and a HOME. */
function baseEnv(dir: string): Record<string, string> {
    return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: join(dir, 'home'), TMPDIR: join(dir, 'tmp') };
}

export function nodeSpecs(inputs: SpecInputs): NodeSpec[] {
    return NODE_NAMES.map((name) => nodeSpec(name, inputs));
}

function nodeSpec(name: string, inputs: SpecInputs): NodeSpec {
    const { dir, basePort } = inputs;
    const ports = portsOf(name, basePort);
    const kind = nodeKind(name);
    const health = (port: number | undefined): Readiness => ({ kind: 'http', url: `http://127.0.0.1:${port}/healthz` });
    // Orderers and peers: a Fabric binary with the copied config, ready when /healthz says so.
    const fabricNode = (program: 'orderer' | 'peer', args: string[], env: Record<string, string>): NodeSpec => ({
        name,
        kind,
        program: join(inputs.binaries.fabric.binDir, program),
        args,
        cwd: dir,
        ports,
        readiness: health(ports.operations),
        env: {
            ...baseEnv(dir),
            FABRIC_CFG_PATH: join(dir, 'config'),
            FABRIC_LOGGING_SPEC: inputs.loggingSpec,
            FABRIC_LOGGING_FORMAT: LOG_FORMAT,
            ...env,
        },
    });
    switch (kind) {
        case 'orderer': {
            const { msp, tls } = cryptoPaths.node(dir, name);
            const data = join(dir, 'data', name);
            return fabricNode('orderer', [], {
                ORDERER_GENERAL_LISTENADDRESS: '127.0.0.1',
                ORDERER_GENERAL_LISTENPORT: String(ports.listen),
                ORDERER_GENERAL_LOCALMSPID: ORDERER_MSP_ID,
                ORDERER_GENERAL_LOCALMSPDIR: msp,
                ORDERER_GENERAL_TLS_ENABLED: 'true',
                ORDERER_GENERAL_TLS_PRIVATEKEY: tls.key,
                ORDERER_GENERAL_TLS_CERTIFICATE: tls.cert,
                ORDERER_GENERAL_TLS_ROOTCAS: tls.rootCert,
                // No system channel: channels are joined through the participation API.
                ORDERER_GENERAL_BOOTSTRAPMETHOD: 'none',
                ORDERER_CHANNELPARTICIPATION_ENABLED: 'true',
                // A follower forwards a submit to the leader for this long before giving up (default 7 s).
                ORDERER_GENERAL_CLUSTER_RPCTIMEOUT: '2s',
                ORDERER_FILELEDGER_LOCATION: join(data, 'ledger'),
                ORDERER_CONSENSUS_WALDIR: join(data, 'etcdraft', 'wal'),
                ORDERER_CONSENSUS_SNAPDIR: join(data, 'etcdraft', 'snapshot'),
                ORDERER_OPERATIONS_LISTENADDRESS: `127.0.0.1:${ports.operations}`,
                ORDERER_METRICS_PROVIDER: 'prometheus',
                ORDERER_ADMIN_LISTENADDRESS: `127.0.0.1:${ports.admin}`,
            });
        }
        case 'peer': {
            const org = orgOf(name);
            const { msp, tls } = cryptoPaths.node(dir, name);
            const data = join(dir, 'data', name);
            const address = `127.0.0.1:${ports.listen}`;
            return fabricNode('peer', ['node', 'start'], {
                CORE_PEER_ID: hostName(name),
                CORE_PEER_ADDRESS: address,
                CORE_PEER_LISTENADDRESS: address,
                CORE_PEER_CHAINCODEADDRESS: `127.0.0.1:${ports.chaincode}`,
                CORE_PEER_CHAINCODELISTENADDRESS: `127.0.0.1:${ports.chaincode}`,
                CORE_PEER_GOSSIP_BOOTSTRAP: address,
                CORE_PEER_GOSSIP_EXTERNALENDPOINT: address,
                // Peers of the other org are found through gossip; a first dial that fails
                // (that peer still starting) is retried only every 25 s by default, and until
                // then the gateway knows no endorser of the other org, so every submit fails
                // (seen 27-31 s after 2 of 7 fresh `up`s in the fault tests).
                CORE_PEER_GOSSIP_RECONNECTINTERVAL: '2s',
                CORE_PEER_LOCALMSPID: org.mspId,
                CORE_PEER_MSPCONFIGPATH: msp,
                CORE_PEER_TLS_ENABLED: 'true',
                CORE_PEER_TLS_CERT_FILE: tls.cert,
                CORE_PEER_TLS_KEY_FILE: tls.key,
                CORE_PEER_TLS_ROOTCERT_FILE: tls.rootCert,
                CORE_PEER_FILESYSTEMPATH: join(data, 'production'),
                CORE_LEDGER_SNAPSHOTS_ROOTDIR: join(data, 'snapshots'),
                CORE_OPERATIONS_LISTENADDRESS: `127.0.0.1:${ports.operations}`,
                CORE_METRICS_PROVIDER: 'prometheus',
                // Chaincode as a service through Fabric's own builder; the copied core.yaml has no Docker endpoint.
                CORE_CHAINCODE_EXTERNALBUILDERS: JSON.stringify([{ name: 'ccaas', path: inputs.binaries.fabric.ccaasBuilderDir }]),
            });
        }
        case 'ca': {
            const org = orgOf(name);
            const signing = cryptoPaths.orgCa(dir, org);
            const { tls } = cryptoPaths.node(dir, name);
            return {
                name,
                kind,
                program: join(inputs.binaries.ca.binDir, 'fabric-ca-server'),
                args: ['start', '-b', `${CA_REGISTRAR.enrollId}:${CA_REGISTRAR.enrollSecret}`],
                cwd: join(dir, 'data', name),
                ports,
                readiness: { kind: 'https', url: `https://127.0.0.1:${ports.listen}/cainfo`, rootCertFile: tls.rootCert },
                env: {
                    ...baseEnv(dir),
                    FABRIC_CA_SERVER_HOME: join(dir, 'data', name),
                    FABRIC_CA_SERVER_ADDRESS: '127.0.0.1',
                    FABRIC_CA_SERVER_PORT: String(ports.listen),
                    FABRIC_CA_SERVER_CA_NAME: org.caName,
                    // The cryptogen org CA signs: enrolled identities are members of the org's MSP.
                    FABRIC_CA_SERVER_CA_CERTFILE: signing.cert,
                    FABRIC_CA_SERVER_CA_KEYFILE: signing.key,
                    FABRIC_CA_SERVER_TLS_ENABLED: 'true',
                    FABRIC_CA_SERVER_TLS_CERTFILE: tls.cert,
                    FABRIC_CA_SERVER_TLS_KEYFILE: tls.key,
                    FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS: `127.0.0.1:${ports.operations}`,
                    FABRIC_CA_SERVER_LOGLEVEL: 'warning',
                },
            };
        }
        case 'chaincode':
            return {
                name,
                kind,
                // fabric-shim's cli.js directly, not npx: killing an npx wrapper leaves the server running.
                program: process.execPath,
                args: [inputs.shimCli, 'server'],
                cwd: inputs.chaincodeDir,
                ports,
                readiness: { kind: 'tcp', port: ports.listen },
                env: {
                    ...baseEnv(dir),
                    CORE_CHAINCODE_ID: inputs.packageId,
                    CORE_CHAINCODE_ADDRESS: `127.0.0.1:${ports.listen}`,
                    // The contract's own quiet logging does not apply under the shim's server command.
                    CORE_CHAINCODE_LOGGING_LEVEL: 'warning',
                    CORE_CHAINCODE_LOGGING_SHIM: 'warning',
                },
            };
    }
}

/** Environment for the peer CLI acting as an org's Admin against its peer. */
export function peerAdminEnv(dir: string, basePort: number, orgName: string, fabricCfgPath = join(dir, 'config')): Record<string, string> {
    const org = ORGS.find((o) => o.name === orgName || o.mspId === orgName) ?? orgOf(orgName);
    return {
        ...baseEnv(dir),
        FABRIC_CFG_PATH: fabricCfgPath,
        FABRIC_LOGGING_SPEC: 'warning',
        CORE_PEER_LOCALMSPID: org.mspId,
        CORE_PEER_MSPCONFIGPATH: cryptoPaths.user(dir, org, 'Admin').msp,
        CORE_PEER_ADDRESS: `127.0.0.1:${portsOf(org.peer, basePort).listen}`,
        CORE_PEER_TLS_ENABLED: 'true',
        CORE_PEER_TLS_ROOTCERT_FILE: cryptoPaths.orgTlsCa(dir, org),
    };
}

/** The orderer flags of peer CLI commands that submit (approve, commit, invoke). */
export function ordererFlags(dir: string, basePort: number, orderer: string = ORDERERS[0]): string[] {
    return ['-o', `127.0.0.1:${portsOf(orderer, basePort).listen}`, '--tls', '--cafile', cryptoPaths.ordererTlsCa(dir)];
}

/** The `--peerAddresses/--tlsRootCertFiles` flags naming both orgs' peers (MAJORITY endorsement needs both). */
export function allPeersFlags(dir: string, basePort: number): string[] {
    return ORGS.flatMap((org) => ['--peerAddresses', `127.0.0.1:${portsOf(org.peer, basePort).listen}`, '--tlsRootCertFiles', cryptoPaths.orgTlsCa(dir, org)]);
}

