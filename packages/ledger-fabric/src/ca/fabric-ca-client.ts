/**
 * A small client for the Fabric CA REST API (`/api/v1/cainfo`, `/register`, `/enroll`): enough
 * to register a user with attributes and enroll it into a signing identity of the org's MSP.
 * Written against fabric-ca 1.5's server (lib/server*.go, lib/client.go); TLS is verified
 * against the CA's own TLS root from the connection file, never switched off.
 */
import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { X509Certificate } from 'node:crypto';
import { TrackerError } from '@hyperprov/errors';
import { caAuthToken } from './ca-token.js';
import { newKeyAndRequest } from './csr.js';

/** Where a Fabric CA is and how to trust it. */
export interface FabricCaEndpoint {
    /** `https://host:port` (or `http://` for a CA without TLS). */
    url: string;
    /** The CA's name on a multi-CA server; default the server's default CA. */
    caName?: string;
    /** PEM of the root that signed the CA's TLS certificate. */
    tlsRootCertPem?: string;
}

/** A signing identity: certificate and key (PEM). */
export interface CaCredentials {
    certificatePem: string;
    privateKeyPem: string;
}

/** An attribute to put in the enrolled certificate (`ecert`), readable by the chaincode. */
export interface CaAttribute {
    name: string;
    value: string;
}

export interface EnrolledIdentity extends CaCredentials {
    /** The CA chain (PEM) the CA reported; its first certificate issued `certificatePem`. */
    caChainPem: string;
}

interface CaResponse<T> {
    success: boolean;
    result: T;
    errors?: { code: number; message: string }[];
}

/** `GET /api/v1/cainfo`: the CA's name, chain (PEM) and version. */
export async function caInfo(ca: FabricCaEndpoint): Promise<{ caName: string; caChainPem: string; version: string }> {
    const query = ca.caName ? `?ca=${encodeURIComponent(ca.caName)}` : '';
    const result = await call<{ CAName: string; CAChain: string; Version: string }>(ca, 'GET', `/api/v1/cainfo${query}`, '', {});
    return { caName: result.CAName, caChainPem: Buffer.from(result.CAChain, 'base64').toString('utf8'), version: result.Version };
}

/** `POST /api/v1/enroll` with the user's secret: a new key, and the certificate the CA issues for it. */
export async function enroll(ca: FabricCaEndpoint, enrollId: string, secret: string, attributeNames: readonly string[] = []): Promise<EnrolledIdentity> {
    const { privateKeyPem, csrPem } = await newKeyAndRequest(enrollId);
    const body = JSON.stringify({
        certificate_request: csrPem,
        ...(ca.caName && { caname: ca.caName }),
        ...(attributeNames.length > 0 && { attr_reqs: attributeNames.map((name) => ({ name, optional: false })) }),
    });
    const basic = Buffer.from(`${enrollId}:${secret}`, 'utf8').toString('base64');
    const result = await call<{ Cert: string; ServerInfo: { CAChain: string } }>(ca, 'POST', '/api/v1/enroll', body, { authorization: `Basic ${basic}` });
    const certificatePem = Buffer.from(result.Cert, 'base64').toString('utf8');
    const caChainPem = Buffer.from(result.ServerInfo.CAChain, 'base64').toString('utf8');
    return { certificatePem, privateKeyPem, caChainPem };
}

/**
 * `POST /api/v1/register`, signed by a registrar: a new client identity with `attributes` put in
 * its enrollment certificates. Returns the enrollment secret (the given one, or one the CA made).
 */
export async function register(
    ca: FabricCaEndpoint,
    registrar: CaCredentials,
    user: { enrollId: string; secret?: string; attributes?: readonly CaAttribute[]; affiliation?: string },
): Promise<string> {
    const body = JSON.stringify({
        id: user.enrollId,
        type: 'client',
        affiliation: user.affiliation ?? '',
        ...(user.secret && { secret: user.secret }),
        ...(user.attributes?.length && { attrs: user.attributes.map((a) => ({ name: a.name, value: a.value, ecert: true })) }),
        ...(ca.caName && { caname: ca.caName }),
    });
    const path = '/api/v1/register';
    const token = caAuthToken({ method: 'POST', path, body }, registrar.certificatePem, registrar.privateKeyPem);
    const result = await call<{ secret: string }>(ca, 'POST', path, body, { authorization: token });
    return result.secret;
}

/** Fabric CA's code for "identity is already registered" (lib/caerrors ErrDupIdentityReg, HTTP 409). */
const ALREADY_REGISTERED = 74;

async function call<T>(ca: FabricCaEndpoint, method: 'GET' | 'POST', path: string, body: string, headers: Record<string, string>): Promise<T> {
    let url: URL;
    try {
        url = new URL(path, ca.url);
    } catch (error) {
        throw new TrackerError('INVALID_ARGUMENT', `Fabric CA URL ${JSON.stringify(ca.url)} is not a URL; give it as https://host:port`, { cause: error });
    }
    const { status, text } = await send(url, method, body, headers, ca.tlsRootCertPem);
    let parsed: CaResponse<T>;
    try {
        parsed = JSON.parse(text) as CaResponse<T>;
    } catch (error) {
        throw new TrackerError('LEDGER_UNAVAILABLE', `the Fabric CA at ${ca.url} answered ${method} ${url.pathname} with HTTP ${status} and no JSON; is ${ca.url} a Fabric CA?`, {
            cause: error,
        });
    }
    if (parsed.success && status < 300) return parsed.result;
    const errors = parsed.errors ?? [];
    const messages = errors.map((e) => `${e.message} (code ${e.code})`).join('; ') || `HTTP ${status}`;
    if (errors.some((e) => e.code === ALREADY_REGISTERED) || /already registered/i.test(messages)) {
        throw new TrackerError('ALREADY_EXISTS', `the Fabric CA at ${ca.url} says: ${messages}; enroll it with its secret (--secret) instead of registering it again`);
    }
    if (status === 401 || status === 403) {
        throw new TrackerError('PERMISSION_DENIED', `the Fabric CA at ${ca.url} refused ${url.pathname}: ${messages}; check the enrollment id and secret, or the registrar's rights`);
    }
    throw new TrackerError('INVALID_ARGUMENT', `the Fabric CA at ${ca.url} refused ${url.pathname}: ${messages}`);
}

function send(url: URL, method: string, body: string, headers: Record<string, string>, tlsRootCertPem: string | undefined): Promise<{ status: number; text: string }> {
    if (url.protocol === 'https:' && tlsRootCertPem) new X509Certificate(tlsRootCertPem); // fail early on a broken PEM
    const options = {
        method,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 15_000,
        ...(url.protocol === 'https:' && tlsRootCertPem && { ca: tlsRootCertPem }),
    };
    const make = url.protocol === 'https:' ? request : plainRequest;
    return new Promise((resolve, reject) => {
        const req = make(url, options, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
        req.on('error', (error) =>
            reject(
                new TrackerError('LEDGER_UNAVAILABLE', `cannot reach the Fabric CA at ${url.origin}: ${error.message}; is it running (\`hyperprov-network status\` for the local network) and is the URL right?`, {
                    cause: error,
                }),
            ),
        );
        req.end(body);
    });
}
