/** Shared helpers for the contract's unit tests (excluded from the build). */
import { expect } from 'vitest';
import { ContractError, type ContractErrorCode } from '../errors';
import { ProvenanceContract } from '../provenance-contract';
import type { LineageGraph, Page, ProvenanceRecord, RecordInput } from '../record';
import { FakeLedger, type TxOptions } from './fake-ledger';

export const SHA_A = `sha256:${'a'.repeat(64)}`;
export const SHA_B = `sha256:${'b'.repeat(64)}`;

/** A valid RecordInput for `key`, with overrides. */
export function input(key: string, extra: Partial<RecordInput> & Record<string, unknown> = {}): RecordInput {
    return { key, checksum: SHA_A, size: 10, location: 'file:///store', pointer: `obj/${key}`, ...extra };
}

/** A contract bound to a fresh fake ledger, with typed wrappers for every transaction. */
export function harness() {
    const ledger = new FakeLedger();
    const contract = new ProvenanceContract();
    const submit = <T>(fn: (c: ProvenanceContract, ctx: Parameters<ProvenanceContract['set']>[0]) => Promise<string>, options?: TxOptions) =>
        ledger.submit((ctx) => fn(contract, ctx), options).then((text) => JSON.parse(text) as T);
    const evaluate = <T>(fn: (c: ProvenanceContract, ctx: Parameters<ProvenanceContract['set']>[0]) => Promise<string>, options?: TxOptions) =>
        ledger.evaluate((ctx) => fn(contract, ctx), options).then((text) => JSON.parse(text) as T);
    return {
        ledger,
        contract,
        set: (value: unknown, options?: TxOptions) =>
            submit<ProvenanceRecord>((c, ctx) => c.set(ctx, typeof value === 'string' ? value : JSON.stringify(value)), options),
        setMany: (values: unknown, options?: TxOptions) =>
            submit<ProvenanceRecord[]>((c, ctx) => c.setMany(ctx, typeof values === 'string' ? values : JSON.stringify(values)), options),
        get: (key: string) => evaluate<ProvenanceRecord>((c, ctx) => c.get(ctx, key)),
        getFromId: (id: string) => evaluate<ProvenanceRecord>((c, ctx) => c.getFromId(ctx, id)),
        checkHash: (key: string, checksum: string) =>
            evaluate<{ key: string; match: boolean; recorded: string; id: string }>((c, ctx) => c.checkHash(ctx, key, checksum)),
        getByChecksum: (checksum: string) => evaluate<ProvenanceRecord[]>((c, ctx) => c.getByChecksum(ctx, checksum)),
        history: (key: string, pageSize = '', bookmark = '') =>
            evaluate<Page<ProvenanceRecord>>((c, ctx) => c.getKeyHistory(ctx, key, pageSize, bookmark)),
        range: (start: string, end: string, pageSize = '', bookmark = '') =>
            evaluate<Page<ProvenanceRecord>>((c, ctx) => c.getByRange(ctx, start, end, pageSize, bookmark)),
        byCreator: (creatorId: string, pageSize = '', bookmark = '', options?: TxOptions) =>
            evaluate<Page<ProvenanceRecord>>((c, ctx) => c.getByCreator(ctx, creatorId, pageSize, bookmark), options),
        up: (id: string, depth = '') => evaluate<LineageGraph>((c, ctx) => c.getDependencies(ctx, id, depth)),
        down: (id: string, depth = '') => evaluate<LineageGraph>((c, ctx) => c.getDependents(ctx, id, depth)),
    };
}

/** Asserts that `promise` rejects with a ContractError of `code` whose message matches `pattern`. */
export async function expectError(promise: Promise<unknown>, code: ContractErrorCode, pattern?: RegExp): Promise<ContractError> {
    const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
    );
    expect(error, 'expected a ContractError').toBeInstanceOf(ContractError);
    const contractError = error as ContractError;
    expect(contractError.code).toBe(code);
    expect(contractError.message.startsWith(`[${code}] `)).toBe(true);
    if (pattern) expect(contractError.message).toMatch(pattern);
    return contractError;
}
