import { ContractError } from '@hyperprov/chaincode/protocol';
import { describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import { translateContractError } from './contract-errors.js';

describe('translateContractError', () => {
    it('keeps the contract code and message, with the original as cause', () => {
        const original = new ContractError('DEPENDENCY_NOT_FOUND', "dependency 'x' is not on the ledger");
        const error = translateContractError(original, { fn: 'set', transactionId: 'tx1' });
        expect(error).toBeInstanceOf(TrackerError);
        expect(error.code).toBe('DEPENDENCY_NOT_FOUND');
        expect(error.message).toBe("dependency 'x' is not on the ledger");
        expect(error.transactionId).toBe('tx1');
        expect(error.cause).toBe(original);
    });

    it('finds the code inside Fabric-style wrapped texts and details', () => {
        const wrapped = new Error('10 ABORTED: failed to endorse transaction, see attached details for more info');
        Object.assign(wrapped, { details: [{ address: 'peer0:7051', message: 'chaincode response 500, [NOT_FOUND] no record for key a' }] });
        expect(translateContractError(wrapped, { fn: 'get' }).code).toBe('NOT_FOUND');
        expect(translateContractError(new Error('x', { cause: new Error('[CONFLICT] again') }), { fn: 'set' }).code).toBe('CONFLICT');
        expect(translateContractError('[INVALID_ARGUMENT] bad key', { fn: 'set' }).code).toBe('INVALID_ARGUMENT');
    });

    it('makes anything else INTERNAL and keeps TrackerErrors as they are', () => {
        const internal = translateContractError(new TypeError('boom'), { fn: 'set' });
        expect(internal.code).toBe('INTERNAL');
        expect(internal.message).toContain('boom');
        expect(translateContractError(new Error('[NOT_A_CODE] x'), { fn: 'set' }).code).toBe('INTERNAL');
        const kept = new TrackerError('TIMEOUT', 'slow');
        expect(translateContractError(kept, { fn: 'set' })).toBe(kept);
    });
});
