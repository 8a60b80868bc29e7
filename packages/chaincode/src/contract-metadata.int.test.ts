/**
 * Checks the built package (dist/, as Fabric loads it) through fabric-shim's own contract
 * machinery: the decorators must survive tsc, register every transaction with string parameters
 * and a string result, and a transaction dispatched by the real ChaincodeFromContract (real
 * serializer, real X.509 ClientIdentity) must return our canonical JSON byte for byte.
 * Needs `npm run build` first (turbo's test task depends on build).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeLedger } from './testing/fake-ledger';
import { SHA_A, input } from './testing/fixtures';

// Load dist the way Fabric does: CommonJS require, not vitest's transform of src.
const require = createRequire(__filename);
const distIndex = join(__dirname, '..', 'dist', 'index.js');
const distProtocol = join(__dirname, '..', 'dist', 'protocol.js');

interface Metadata {
    contracts: Record<
        string,
        {
            name: string;
            transactions: {
                name: string;
                tag: string[];
                parameters: { name: string; schema: { type: string } }[];
                returns?: { type: string };
            }[];
        }
    >;
}

interface ChaincodeResponse {
    status: number;
    message?: string;
    payload?: Uint8Array;
}

interface Chaincode {
    metadata: Metadata;
    invokeFunctionality(stub: unknown): Promise<ChaincodeResponse>;
}

let dist: typeof import('./index');
let protocol: typeof import('./protocol');
let chaincode: Chaincode;
let certificate: string;
let workDir: string;

beforeAll(() => {
    if (!existsSync(distIndex)) throw new Error(`${distIndex} is missing: run "npm run build" in packages/chaincode first`);
    dist = require(distIndex) as typeof import('./index');
    protocol = require(distProtocol) as typeof import('./protocol');
    const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract.js') as new (
        contracts: unknown[],
        serializers: unknown,
        metadata: unknown,
        title: string,
        version: string,
    ) => Chaincode;
    const { JSONSerializer } = require('fabric-contract-api') as { JSONSerializer: unknown };
    const serializers = { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } };
    // The constructor appends its system contract to the array it is given, so pass a copy.
    chaincode = new ChaincodeFromContract([...dist.contracts], serializers, {}, '@hyperprov/chaincode', '0.1.0');

    // A real P-256 X.509 certificate, like a Fabric MSP member's, for ClientIdentity to parse.
    workDir = mkdtempSync(join(tmpdir(), 'hp-chaincode-'));
    const certPath = join(workDir, 'cert.pem');
    execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-subj', '/O=Org1/CN=alice', '-days', '1', '-keyout', join(workDir, 'key.pem'), '-out', certPath,
    ], { stdio: 'ignore' });
    certificate = readFileSync(certPath, 'utf8');
});

afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('built contract metadata', () => {
    it('registers every transaction of PROVENANCE_TRANSACTIONS with string parameters and result', () => {
        const contract = chaincode.metadata.contracts[protocol.PROVENANCE_CONTRACT_NAME];
        expect(contract, 'contract "provenance" registered').toBeDefined();
        const transactions = contract?.transactions ?? [];
        expect(transactions.map((t) => t.name).sort()).toEqual(Object.keys(protocol.PROVENANCE_TRANSACTIONS).sort());
        for (const tx of transactions) {
            const submit = protocol.PROVENANCE_TRANSACTIONS[tx.name as keyof typeof protocol.PROVENANCE_TRANSACTIONS].submit;
            expect(tx.tag, tx.name).toEqual(submit ? ['SUBMIT', 'submitTx'] : ['EVALUATE']);
            expect(tx.parameters.length, tx.name).toBeGreaterThan(0);
            for (const p of tx.parameters) expect(p.schema, `${tx.name}(${p.name})`).toEqual({ type: 'string' });
            expect(tx.returns, tx.name).toEqual({ type: 'string' });
        }
        const get = transactions.find((t) => t.name === 'getByRange');
        expect(get?.parameters.map((p) => p.name)).toEqual(['startKey', 'endKey', 'pageSize', 'bookmark']);
    });
});

describe('dispatch through fabric-shim', () => {
    function invoke(ledger: FakeLedger, fn: string, args: string[], readOnly: boolean): Promise<ChaincodeResponse> {
        const run = async (ctx: { stub: object }) => {
            const stub = Object.assign(Object.create(null) as object, ctx.stub, {
                getBufferArgs: () => [fn, ...args].map((a) => Buffer.from(a)),
                getChannelID: () => 'mychannel',
                getCreator: () => ({ mspid: 'Org1MSP', idBytes: Buffer.from(certificate) }),
            });
            const response = await chaincode.invokeFunctionality(stub);
            // A failed transaction must not commit, exactly like a peer.
            if (response.status !== 200) throw Object.assign(new Error(response.message), { response });
            return response;
        };
        const call = readOnly ? ledger.evaluate(run as never) : ledger.submit(run as never, { txId: 'f00d' });
        return (call as Promise<ChaincodeResponse>).catch((e: { response?: ChaincodeResponse }) => {
            if (e.response) return e.response;
            throw e;
        });
    }

    it('returns canonical JSON untouched, with the creator from the certificate', async () => {
        const ledger = new FakeLedger();
        const set = await invoke(ledger, 'provenance:set', [JSON.stringify(input('models/m', { meta: { z: 1, a: 2 } }))], false);
        expect(set.status).toBe(200);
        const text = Buffer.from(set.payload ?? []).toString('utf8');
        const record = JSON.parse(text) as import('./record').ProvenanceRecord;
        expect(text).toBe(protocol.canonicalJson(record));
        expect(record).toMatchObject({ id: 'f00d', key: 'models/m', checksum: SHA_A, meta: { a: 2, z: 1 } });
        expect(record.creator).toEqual({ mspId: 'Org1MSP', id: 'x509::/O=Org1/CN=alice::/O=Org1/CN=alice' });

        const got = await invoke(ledger, 'provenance:get', ['models/m'], true);
        expect(Buffer.from(got.payload ?? []).toString('utf8')).toBe(text);
    });

    it('carries the [CODE] prefix of contract errors to the client and commits nothing', async () => {
        const ledger = new FakeLedger();
        const bad = await invoke(ledger, 'provenance:set', [JSON.stringify(input('a/../b'))], false);
        expect(bad.status).toBe(500);
        expect(protocol.parseContractError(bad.message ?? '')?.code).toBe('INVALID_ARGUMENT');
        expect(ledger.state.size).toBe(0);
        const missing = await invoke(ledger, 'provenance:get', ['nothing'], true);
        expect(protocol.parseContractError(missing.message ?? '')?.code).toBe('NOT_FOUND');
        const arity = await invoke(ledger, 'provenance:get', [], true);
        expect(arity.status).toBe(500);
        expect(arity.message).toMatch(/Expected 1 parameters/);
    });
});

describe('loading the built package', () => {
    it('prints nothing to stdout, so hosts such as the CLI keep clean --json output', () => {
        const env = { ...process.env };
        delete env.CORE_CHAINCODE_LOGGING_LEVEL;
        const out = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(distIndex)})`], { env, encoding: 'utf8' });
        expect(out).toBe('');
        const esm = execFileSync(
            process.execPath,
            ['--input-type=module', '-e', `import { contracts } from ${JSON.stringify(distIndex)}; process.stderr.write(String(contracts.length));`],
            { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
        );
        expect(esm).toBe('');
    });
});
