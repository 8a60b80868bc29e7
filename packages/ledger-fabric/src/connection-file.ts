/**
 * The connection file (`hyperprov-fabric-connection/1`): which channel and chaincode, and for each
 * organisation its peers, CA and users; the orderers. `hyperprov-network` writes it for the
 * networks it runs, and users write it by hand for their own network, so every problem is
 * reported with the field's path and what to put there. PEMs are inline; user certificate and
 * key paths are relative to the file's folder and are resolved here, once.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TrackerError } from '@hyperprov/errors';

/** The format tag every connection file starts with. */
export const CONNECTION_FORMAT = 'hyperprov-fabric-connection/1';

/** A peer or orderer endpoint reached over TLS. */
export interface FabricEndpoint {
    name: string;
    /** `host:port`. */
    endpoint: string;
    /** Name the node's TLS certificate is checked against (also sent as TLS server name). */
    tlsHostname: string;
    /** PEM of the CA that issued the node's TLS certificate. */
    tlsRootCertPem: string;
}

/** An organisation's Fabric CA (for enrolment). */
export interface FabricCa {
    /** `https://host:port`. */
    url: string;
    caName?: string;
    tlsRootCertPem: string;
    /** The CA's bootstrap identity, for registering new users. */
    registrar?: { enrollId: string; enrollSecret: string };
}

/** A user whose certificate and key are files (absolute paths once parsed). */
export interface FabricUserFiles {
    certificate: string;
    privateKey: string;
    /** PEM file of the CA that issued `certificate`; optional, found in the MSP folder otherwise. */
    caCertificate?: string;
}

export interface FabricOrganization {
    name: string;
    mspId: string;
    /** At least one; the first is the default gateway peer. */
    peers: FabricEndpoint[];
    ca?: FabricCa;
    users: Record<string, FabricUserFiles>;
}

/** A parsed, validated connection file. */
export interface FabricConnection {
    format: typeof CONNECTION_FORMAT;
    channel: string;
    chaincode: string;
    organizations: FabricOrganization[];
    orderers: FabricEndpoint[];
    /**
     * MSP ids of the organisations whose peers endorse every transaction, asked in parallel.
     * Without it the gateway chooses: it endorses on its own peer first and then asks the others
     * the policy needs, one endorsement after another (bench/fabric-endorsers.mjs, 2 cores: one
     * setMany of 100 after another 502-526 records/s against 568-572 with both named).
     * Whoever writes the file vouches that these organisations satisfy the endorsement policy.
     */
    endorsingOrganizations?: string[];
    /** Folder relative paths were resolved against (the file's folder). */
    baseDir: string;
    /** Where the connection came from, for messages (`connection file /x/connection.json`). */
    source: string;
}

type Json = Record<string, unknown>;

/** Collects what is wrong with the file, so one error lists every field to fix. */
class Problems {
    readonly list: string[] = [];
    add(path: string, problem: string): void {
        this.list.push(`${path} ${problem}`);
    }
}

const ENDPOINT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

function isObject(value: unknown): value is Json {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(obj: Json, field: string, path: string, problems: Problems, hint: string, optional = false): string | undefined {
    const value = obj[field];
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
        problems.add(`${path}.${field}`, `${value === undefined ? 'is missing' : 'must be a non-empty string'}: ${hint}`);
        return undefined;
    }
    return value;
}

function pem(obj: Json, field: string, path: string, problems: Problems): string | undefined {
    const value = text(obj, field, path, problems, 'the PEM text of the TLS CA certificate, inline ("-----BEGIN CERTIFICATE-----\\n...")');
    if (value !== undefined && !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(value)) {
        problems.add(`${path}.${field}`, 'is not a PEM certificate: put the certificate text itself (with its BEGIN/END lines) inline, not a file path');
        return undefined;
    }
    return value;
}

function endpoint(value: unknown, path: string, problems: Problems, kind: string): FabricEndpoint | undefined {
    if (!isObject(value)) {
        problems.add(path, `must be an object {name, endpoint, tlsHostname, tlsRootCertPem} describing the ${kind}`);
        return undefined;
    }
    const name = text(value, 'name', path, problems, `the ${kind}'s name, e.g. "peer0.org1.example.com"`);
    const address = text(value, 'endpoint', path, problems, `the ${kind}'s "host:port", e.g. "127.0.0.1:7051"`);
    if (address !== undefined && (!ENDPOINT.test(address) || Number(ENDPOINT.exec(address)?.[2]) > 65535)) {
        problems.add(`${path}.endpoint`, `must be "host:port" (got ${JSON.stringify(address)}), without a scheme: e.g. "127.0.0.1:7051"`);
    }
    const tlsHostname = text(value, 'tlsHostname', path, problems, 'a name in the TLS certificate', true);
    const tlsRootCertPem = pem(value, 'tlsRootCertPem', path, problems);
    if (name === undefined || address === undefined || tlsRootCertPem === undefined) return undefined;
    // Without a tlsHostname the certificate is checked against the endpoint's host, as gRPC does.
    const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
    return { name, endpoint: address, tlsHostname: tlsHostname ?? host, tlsRootCertPem };
}

function ca(value: unknown, path: string, problems: Problems): FabricCa | undefined {
    if (!isObject(value)) {
        problems.add(path, 'must be an object {url, caName, tlsRootCertPem, registrar?}, or be left out');
        return undefined;
    }
    const url = text(value, 'url', path, problems, 'the CA\'s URL, e.g. "https://127.0.0.1:7054"');
    if (url !== undefined && !/^https?:\/\/[^/\s]+/.test(url)) problems.add(`${path}.url`, `must be an http(s) URL (got ${JSON.stringify(url)}), e.g. "https://127.0.0.1:7054"`);
    const caName = text(value, 'caName', path, problems, 'the CA name, e.g. "ca-org1"', true);
    const tlsRootCertPem = pem(value, 'tlsRootCertPem', path, problems);
    let registrar: FabricCa['registrar'];
    if (value.registrar !== undefined) {
        if (!isObject(value.registrar)) {
            problems.add(`${path}.registrar`, 'must be an object {enrollId, enrollSecret}, or be left out');
        } else {
            const enrollId = text(value.registrar, 'enrollId', `${path}.registrar`, problems, 'the registrar\'s enrolment id, e.g. "admin"');
            const enrollSecret = text(value.registrar, 'enrollSecret', `${path}.registrar`, problems, 'the registrar\'s enrolment secret');
            if (enrollId !== undefined && enrollSecret !== undefined) registrar = { enrollId, enrollSecret };
        }
    }
    if (url === undefined || tlsRootCertPem === undefined) return undefined;
    return { url, tlsRootCertPem, ...(caName !== undefined && { caName }), ...(registrar && { registrar }) };
}

function users(value: unknown, path: string, baseDir: string, problems: Problems): Record<string, FabricUserFiles> {
    const result: Record<string, FabricUserFiles> = {};
    if (value === undefined) return result;
    if (!isObject(value)) {
        problems.add(path, 'must be an object {"User1": {certificate, privateKey}}, or be left out');
        return result;
    }
    for (const [name, entry] of Object.entries(value)) {
        const at = `${path}.${name}`;
        if (!isObject(entry)) {
            problems.add(at, 'must be an object {certificate, privateKey} with the paths of the PEM files');
            continue;
        }
        const certificate = text(entry, 'certificate', at, problems, 'path of the user\'s certificate PEM file, relative to the connection file\'s folder');
        const privateKey = text(entry, 'privateKey', at, problems, 'path of the user\'s private key PEM file, relative to the connection file\'s folder');
        const caCertificate = text(entry, 'caCertificate', at, problems, 'path of the issuing CA\'s certificate PEM file', true);
        if (certificate === undefined || privateKey === undefined) continue;
        const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
        result[name] = { certificate: abs(certificate), privateKey: abs(privateKey), ...(caCertificate !== undefined && { caCertificate: abs(caCertificate) }) };
    }
    return result;
}

function organization(value: unknown, path: string, baseDir: string, problems: Problems): FabricOrganization | undefined {
    if (!isObject(value)) {
        problems.add(path, 'must be an object {name, mspId, peers, ca?, users?}');
        return undefined;
    }
    const name = text(value, 'name', path, problems, 'the organisation\'s name, e.g. "Org1"');
    const mspId = text(value, 'mspId', path, problems, 'the organisation\'s MSP id, e.g. "Org1MSP"');
    const peers: FabricEndpoint[] = [];
    if (!Array.isArray(value.peers) || value.peers.length === 0) {
        problems.add(`${path}.peers`, 'must list at least one peer {name, endpoint, tlsHostname, tlsRootCertPem}: the organisation\'s gateway peer');
    } else {
        value.peers.forEach((p, i) => {
            const parsed = endpoint(p, `${path}.peers[${i}]`, problems, 'peer');
            if (parsed) peers.push(parsed);
        });
    }
    const parsedCa = value.ca === undefined ? undefined : ca(value.ca, `${path}.ca`, problems);
    const parsedUsers = users(value.users, `${path}.users`, baseDir, problems);
    if (name === undefined || mspId === undefined) return undefined;
    return { name, mspId, peers, ...(parsedCa && { ca: parsedCa }), users: parsedUsers };
}

/**
 * Validates a connection file's JSON. `baseDir` is the folder relative user paths are resolved
 * against (the file's folder); `source` names the file in messages. Throws INVALID_ARGUMENT
 * listing every field to fix.
 */
export function parseConnectionFile(value: unknown, options: { baseDir?: string; source?: string } = {}): FabricConnection {
    const baseDir = resolve(options.baseDir ?? process.cwd());
    const source = options.source ?? 'the Fabric connection';
    const problems = new Problems();
    if (!isObject(value)) {
        throw new TrackerError('INVALID_ARGUMENT', `${source} is not a JSON object; it must look like {"format": "${CONNECTION_FORMAT}", "channel", "chaincode", "organizations", "orderers"}`);
    }
    if (value.format !== CONNECTION_FORMAT) {
        problems.add('format', `must be "${CONNECTION_FORMAT}" (got ${JSON.stringify(value.format)}); a file written for another version needs to be regenerated (\`hyperprov-network up\` writes it)`);
    }
    const channel = text(value, 'channel', '', problems, 'the channel name, e.g. "hyperprov"');
    const chaincode = text(value, 'chaincode', '', problems, 'the chaincode name the provenance contract is deployed as, e.g. "hyperprov"');
    const organizations: FabricOrganization[] = [];
    if (!Array.isArray(value.organizations) || value.organizations.length === 0) {
        problems.add('organizations', 'must list at least one organisation {name, mspId, peers}');
    } else {
        value.organizations.forEach((o, i) => {
            const parsed = organization(o, `organizations[${i}]`, baseDir, problems);
            if (parsed) organizations.push(parsed);
        });
        for (const field of ['name', 'mspId'] as const) {
            const seen = new Set<string>();
            for (const org of organizations) {
                if (seen.has(org[field])) problems.add('organizations', `name the ${field} ${JSON.stringify(org[field])} twice; each organisation must be listed once`);
                seen.add(org[field]);
            }
        }
    }
    const orderers: FabricEndpoint[] = [];
    if (value.orderers !== undefined) {
        if (!Array.isArray(value.orderers)) problems.add('orderers', 'must be a list of orderers {name, endpoint, tlsHostname, tlsRootCertPem}, or be left out');
        else
            value.orderers.forEach((o, i) => {
                const parsed = endpoint(o, `orderers[${i}]`, problems, 'orderer');
                if (parsed) orderers.push(parsed);
            });
    }
    const endorsingOrganizations = mspIdList(value.endorsingOrganizations, 'endorsingOrganizations', problems);
    if (problems.list.length > 0 || channel === undefined || chaincode === undefined) {
        const list = problems.list.map((p) => `  - ${p.replace(/^\./, '')}`).join('\n');
        throw new TrackerError('INVALID_ARGUMENT', `${source} is not valid; fix:\n${list}`);
    }
    return { format: CONNECTION_FORMAT, channel, chaincode, organizations, orderers, ...(endorsingOrganizations && { endorsingOrganizations }), baseDir, source };
}

/** An optional list of distinct MSP ids (organisations of the channel, listed in the file or not). */
function mspIdList(value: unknown, path: string, problems: Problems): string[] | undefined {
    if (value === undefined) return undefined;
    const hint = 'must list the MSP ids of the organisations whose endorsements satisfy the policy, e.g. ["Org1MSP", "Org2MSP"], or be left out to let the gateway choose';
    if (!Array.isArray(value) || value.length === 0 || value.some((id) => typeof id !== 'string' || id.trim() === '')) {
        problems.add(path, hint);
        return undefined;
    }
    const ids = value as string[];
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice !== undefined) {
        problems.add(path, `names ${JSON.stringify(twice)} twice; list each organisation once`);
        return undefined;
    }
    return ids;
}

/** Reads and validates a connection file; relative paths in it are relative to its folder. */
export async function loadConnectionFile(path: string): Promise<FabricConnection> {
    const file = resolve(path);
    const source = `connection file ${file}`;
    let textContent: string;
    try {
        textContent = await readFile(file, 'utf8');
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            throw new TrackerError(
                'LEDGER_UNAVAILABLE',
                `${source} does not exist; check the path, or start the network (\`hyperprov-network up\` writes it; \`hyperprov-network status\` shows where)`,
                { cause: error },
            );
        }
        throw new TrackerError('LEDGER_UNAVAILABLE', `could not read ${source}: ${(error as Error).message}`, { cause: error });
    }
    let json: unknown;
    try {
        json = JSON.parse(textContent);
    } catch (error) {
        throw new TrackerError('INVALID_ARGUMENT', `${source} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    return parseConnectionFile(json, { baseDir: dirname(file), source });
}

/**
 * The organisation `org` names (its name or MSP id, case-sensitive), or the first one when
 * `org` is undefined. Throws INVALID_ARGUMENT naming the organisations there are.
 */
export function findOrganization(connection: FabricConnection, org?: string): FabricOrganization {
    const found = org === undefined ? connection.organizations[0] : connection.organizations.find((o) => o.name === org || o.mspId === org);
    if (!found) {
        const known = connection.organizations.map((o) => `${o.name} (${o.mspId})`).join(', ');
        throw new TrackerError('INVALID_ARGUMENT', `${connection.source} has no organisation ${JSON.stringify(org)}; it lists ${known}`);
    }
    return found;
}
