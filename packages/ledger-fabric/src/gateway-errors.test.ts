import { status as grpcStatus } from '@grpc/grpc-js';
import { CommitError, EndorseError, GatewayError } from '@hyperledger/fabric-gateway';
import { describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import { commitFailure, forBatchItem, outcomeUnknown, translateGatewayError } from './gateway-errors.js';

const ctx = { fn: 'set', peer: 'peer0.org1.example.com (127.0.0.1:7051)' };
const cause = (code: number) => Object.assign(new Error('rpc'), { code, details: 'rpc', metadata: undefined }) as never;

function endorseError(code: number, message: string, details: string[]): EndorseError {
    return new EndorseError({ code, message, transactionId: 'tx1', cause: cause(code), details: details.map((m, i) => ({ address: `peer${i}:7051`, mspId: `Org${i + 1}MSP`, message: m })) });
}

describe('translateGatewayError', () => {
    it('keeps the contract code of a [CODE] text inside the endorsement details', () => {
        const error = endorseError(grpcStatus.ABORTED, 'failed to endorse transaction, see attached details for more info', [
            'chaincode response 500, [DEPENDENCY_NOT_FOUND] dependency \'ff\' of \'k\' is not on the ledger; record it first or check the id',
        ]);
        const translated = translateGatewayError(error, ctx);
        expect(translated.code).toBe('DEPENDENCY_NOT_FOUND');
        expect(translated.message).toBe("dependency 'ff' of 'k' is not on the ledger; record it first or check the id");
        expect(translated.transactionId).toBeUndefined();
        expect(translated.cause).toBe(error);
    });

    it('calls a contract failure without a code INTERNAL (a bug), anything else from the network LEDGER_UNAVAILABLE', () => {
        expect(translateGatewayError(endorseError(grpcStatus.ABORTED, 'failed to endorse', ['chaincode response 500, TypeError: x is undefined']), ctx).code).toBe('INTERNAL');
        const launch = translateGatewayError(endorseError(grpcStatus.ABORTED, 'failed to endorse', ['could not launch chaincode hyperprov:abc: connection refused']), ctx);
        expect(launch.code).toBe('LEDGER_UNAVAILABLE');
        expect(launch.message).toContain('the contract is not running');
    });

    it('maps UNAVAILABLE and DEADLINE_EXCEEDED, naming the peer and how to check the network', () => {
        const down = translateGatewayError(new GatewayError({ code: grpcStatus.UNAVAILABLE, message: '14 UNAVAILABLE: No connection established', details: [], cause: cause(14) }), { fn: 'get', peer: ctx.peer });
        expect(down.code).toBe('LEDGER_UNAVAILABLE');
        expect(down.message).toContain('get via peer0.org1.example.com (127.0.0.1:7051): cannot reach the Fabric peer');
        expect(down.message).toContain('hyperprov-network status');
        expect(down.transactionId).toBeUndefined();
        const slow = translateGatewayError(new GatewayError({ code: grpcStatus.DEADLINE_EXCEEDED, message: 'deadline', details: [], cause: cause(4) }), ctx);
        expect(slow.code).toBe('TIMEOUT');
    });

    it('says which connection-file field to check when a named endorsing organisation has no known peer', () => {
        const error = new GatewayError({ code: grpcStatus.UNAVAILABLE, message: '14 UNAVAILABLE: failed to find any endorsing peers for org(s): Org3MSP', details: [], cause: cause(14) });
        const translated = translateGatewayError(error, ctx);
        expect(translated.code).toBe('LEDGER_UNAVAILABLE');
        expect(translated.message).toContain('"endorsingOrganizations"');
        expect(translated.message).toContain('Org3MSP');
        expect(translated.message).not.toContain('cannot reach the Fabric peer');
        expect(translated.transactionId).toBeUndefined();
    });

    it('marks an error under a transaction the orderers may have as outcome unknown, with its id', () => {
        const error = new GatewayError({ code: grpcStatus.UNAVAILABLE, message: 'no orderers could successfully process transaction', details: [], cause: cause(14) });
        const translated = translateGatewayError(error, { ...ctx, outcomeUnknownTxId: 'tx9' });
        expect([translated.code, translated.transactionId]).toEqual(['LEDGER_UNAVAILABLE', 'tx9']);
        expect(translated.message).toContain('ordering service did not accept');
        expect(translated.message).toContain('may still commit: check with `hyperprov show tx9`');
        const batchItem = forBatchItem(translated, 'tx9', 'tx9.3');
        expect([batchItem.code, batchItem.transactionId]).toEqual(['LEDGER_UNAVAILABLE', 'tx9.3']);
        expect(batchItem.message).toContain('hyperprov show tx9.3`');
    });

    it('maps overload, refused identities, unknown channels and cancellation', () => {
        const of = (code: number) => translateGatewayError(new GatewayError({ code, message: 'x', details: [], cause: cause(code) }), ctx);
        expect(of(grpcStatus.RESOURCE_EXHAUSTED).message).toContain('overloaded');
        expect(of(grpcStatus.PERMISSION_DENIED).message).toContain('refused this identity');
        expect(of(grpcStatus.PERMISSION_DENIED).code).toBe('PERMISSION_DENIED');
        const policy = translateGatewayError(
            new GatewayError({ code: grpcStatus.FAILED_PRECONDITION, message: 'no combination of peers can be derived which satisfy the endorsement policy', details: [], cause: cause(9) }),
            ctx,
        );
        expect([policy.code, policy.message]).toEqual(['LEDGER_UNAVAILABLE', expect.stringContaining('not yet known through gossip')]);
        expect(of(grpcStatus.NOT_FOUND).message).toContain('"channel" and "chaincode"');
        expect(of(grpcStatus.CANCELLED).code).toBe('ABORTED');
    });

    it('passes TrackerErrors through and turns a CommitError into a definitive failure', () => {
        const own = new TrackerError('NOT_FOUND', 'x');
        expect(translateGatewayError(own, ctx)).toBe(own);
        const mvcc = translateGatewayError(new CommitError({ code: 11, transactionId: 'tx2', message: 'invalid' }), ctx);
        expect([mvcc.code, mvcc.transactionId]).toEqual(['CONFLICT', undefined]);
        expect(commitFailure(25, 'tx3', ctx).message).toContain('INVALID_CHAINCODE');
    });

    it('explains a commit never confirmed within the budget as TIMEOUT with the transaction id', () => {
        const error = outcomeUnknown(undefined, { ...ctx, outcomeUnknownTxId: 'tx4' }, 120_000);
        expect([error.code, error.transactionId]).toEqual(['TIMEOUT', 'tx4']);
        expect(error.message).toContain('not confirmed within 120 s');
    });
});
