/**
 * Keys and certificates, made once by cryptogen: TLS and MSP material for every node, Admin and
 * User1 per org, NodeOUs on (so admin/peer/client roles come from the certificate's OU, as Fabric
 * CA issues them), SANs 127.0.0.1 and localhost because every endpoint is on loopback. The CA
 * servers sign with the same org CA key, so identities they enroll are members of the org MSP.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../run-command.js';
import { ORDERER_DOMAIN, ORDERERS, ORGS, hostName, type OrgTopology } from './topology.js';

const SANS = ['localhost', '127.0.0.1'];

/** The cryptogen input, as JSON (which its YAML reader accepts). */
export function cryptoConfig(): object {
    return {
        OrdererOrgs: [{ Name: 'Orderer', Domain: ORDERER_DOMAIN, EnableNodeOUs: true, Specs: ORDERERS.map((Hostname) => ({ Hostname, SANS })) }],
        PeerOrgs: ORGS.map((org) => ({
            Name: org.name,
            Domain: org.domain,
            EnableNodeOUs: true,
            Template: { Count: 1, SANS },
            // Only for its TLS server certificate (issued by the org's TLS CA, like the peer's).
            Specs: [{ Hostname: 'ca', SANS }],
            Users: { Count: 1 },
        })),
    };
}

export async function generateCryptoMaterial(dir: string, cryptogen: string, env: NodeJS.ProcessEnv): Promise<void> {
    const config = join(dir, 'config', 'crypto-config.yaml');
    await writeFile(config, `${JSON.stringify(cryptoConfig(), null, 2)}\n`);
    await runCommand(cryptogen, ['generate', `--config=${config}`, `--output=${join(dir, 'crypto')}`], { env });
}

/** A node's TLS files as cryptogen lays them out. */
export interface TlsFiles {
    cert: string;
    key: string;
    rootCert: string;
}

/** Where cryptogen put everything, relative to nothing: pass the network dir. */
export const cryptoPaths = {
    root: (dir: string): string => join(dir, 'crypto'),
    ordererOrg: (dir: string): string => join(dir, 'crypto', 'ordererOrganizations', ORDERER_DOMAIN),
    peerOrg: (dir: string, org: OrgTopology): string => join(dir, 'crypto', 'peerOrganizations', org.domain),
    /** The MSP and TLS folders of a node (orderer, peer, or the CA server's TLS identity). */
    node(dir: string, name: string): { msp: string; tls: TlsFiles } {
        const base = (ORDERERS as readonly string[]).includes(name)
            ? join(cryptoPaths.ordererOrg(dir), 'orderers', hostName(name))
            : join(cryptoPaths.peerOrg(dir, ORGS.find((o) => o.peer === name || o.ca === name) as OrgTopology), 'peers', hostName(name));
        return { msp: join(base, 'msp'), tls: { cert: join(base, 'tls', 'server.crt'), key: join(base, 'tls', 'server.key'), rootCert: join(base, 'tls', 'ca.crt') } };
    },
    ordererTlsCa: (dir: string): string => join(cryptoPaths.ordererOrg(dir), 'tlsca', `tlsca.${ORDERER_DOMAIN}-cert.pem`),
    ordererAdminMsp: (dir: string): string => join(cryptoPaths.ordererOrg(dir), 'users', `Admin@${ORDERER_DOMAIN}`, 'msp'),
    orgTlsCa: (dir: string, org: OrgTopology): string => join(cryptoPaths.peerOrg(dir, org), 'tlsca', `tlsca.${org.domain}-cert.pem`),
    /** The org's signing CA, which its Fabric CA server uses too. */
    orgCa: (dir: string, org: OrgTopology): { cert: string; key: string } => ({
        cert: join(cryptoPaths.peerOrg(dir, org), 'ca', `ca.${org.domain}-cert.pem`),
        key: join(cryptoPaths.peerOrg(dir, org), 'ca', 'priv_sk'),
    }),
    user(dir: string, org: OrgTopology, user: 'Admin' | 'User1'): { msp: string; cert: string; key: string } {
        const msp = join(cryptoPaths.peerOrg(dir, org), 'users', `${user}@${org.domain}`, 'msp');
        return { msp, cert: join(msp, 'signcerts', `${user}@${org.domain}-cert.pem`), key: join(msp, 'keystore', 'priv_sk') };
    },
};
