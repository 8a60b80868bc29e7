/**
 * The transaction runner's rules on a real network, with the faults injected at the port: a
 * conflict (the first transaction reported MVCC_READ_CONFLICT without being sent, since this
 * contract never reads what another transaction writes and so cannot conflict by itself), a
 * connection that drops after the orderers accepted, a transaction the orderers lost.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { GatewayError } from '@hyperledger/fabric-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { TrackerError } from '@hyperprov/errors';
import { decodeBlock } from './block-content.js';
import { translateGatewayError } from './gateway-errors.js';
import { gatewayContractPort, type ContractPort, type EndorsedTransaction } from './contract-port.js';
import type { PeerSession } from './peer-session.js';
import { TransactionRunner } from './transaction-runner.js';
import { openRawPort, recordInput, runPrefix, testConnection } from './testing/fixtures.js';

const decoder = new TextDecoder();

function rpcError(code: number, message: string): GatewayError {
    return new GatewayError({ code, message, details: [], cause: Object.assign(new Error(message), { code, details: message, metadata: undefined }) as never });
}

/** The real port, with `fault(n, tx)` replacing the n-th endorsed transaction (0-based). */
function faultyPort(real: ContractPort, fault: (n: number, tx: EndorsedTransaction) => EndorsedTransaction): ContractPort {
    let n = 0;
    return { ...real, endorse: async (fn, args, deadline) => fault(n++, await real.endorse(fn, args, deadline)) };
}

describe('TransactionRunner on Fabric', () => {
    let session: PeerSession;
    let port: ContractPort;
    const runner = (p: ContractPort) =>
        new TransactionRunner(p, { timeouts: { endorseMs: 30_000, submitMs: 15_000, commitStatusMs: 3_000, outcomeMs: 60_000 }, conflictRetries: 3, backoffMs: 50, peer: session.label });
    const evaluate = async <T>(fn: string, args: string[]) => JSON.parse(decoder.decode(await port.evaluate(fn, args, new Date(Date.now() + 15_000)))) as T;
    /** Copies of `txId` in blocks from `from` on, with their validation codes. */
    const copies = async (txId: string, from: bigint) => {
        const { height } = await session.queries.chainInfo();
        const found: number[] = [];
        for (let n = from; n < height; n++) {
            for (const tx of decodeBlock(await session.queries.block(n)).transactions) if (tx.txId === txId) found.push(tx.validationCode);
        }
        return found;
    };

    beforeAll(async () => {
        const connection = await testConnection();
        ({ session, port } = await openRawPort(connection, 'Org1', 15_000));
    });
    afterAll(() => session?.close());

    it('retries an MVCC conflict with a fresh proposal; only the retry is recorded', async () => {
        const key = `${runPrefix('mvcc')}/k`;
        let first = '';
        const conflicted = faultyPort(port, (n, tx) => {
            if (n > 0) return tx;
            first = tx.transactionId;
            return { ...tx, transactionId: tx.transactionId, result: tx.result, submit: async () => undefined, status: async () => ({ code: 11, blockNumber: 0n }) };
        });
        const committed = await runner(conflicted).run('set', [recordInput(key)]);
        expect(committed.transactionId).not.toBe(first);
        const history = await evaluate<Page<ProvenanceRecord>>('getKeyHistory', [key, '10', '']);
        expect(history.items.map((r) => r.id)).toEqual([committed.transactionId]);
        expect(await session.queries.validationCode(first)).toBeUndefined();
    });

    it('after the connection drops once the orderers have it, sends the same transaction again: committed once, the copy marked DUPLICATE_TXID', async () => {
        const key = `${runPrefix('drop')}/k`;
        const { height } = await session.queries.chainInfo();
        let statusCalls = 0;
        const dropping = faultyPort(port, (_, tx) => ({
            transactionId: tx.transactionId,
            result: tx.result,
            submit: async (deadline) => {
                await tx.submit(deadline);
                if (statusCalls === 0) throw rpcError(grpcStatus.UNAVAILABLE, 'connection dropped after the orderer accepted');
            },
            status: async (deadline) => {
                if (statusCalls++ === 0) throw rpcError(grpcStatus.UNAVAILABLE, 'connection dropped');
                return tx.status(deadline);
            },
        }));
        const committed = await runner(dropping).run('set', [recordInput(key)]);
        const history = await evaluate<Page<ProvenanceRecord>>('getKeyHistory', [key, '10', '']);
        expect(history.items.map((r) => r.id)).toEqual([committed.transactionId]);
        // The first copy is the valid one; every later copy of the same id was refused.
        await new Promise((resolve) => setTimeout(resolve, 500));
        const codes = await copies(committed.transactionId, height);
        expect(codes[0]).toBe(0);
        expect(codes.length).toBeGreaterThanOrEqual(2);
        expect(codes.slice(1).every((c) => c === 9)).toBe(true);
    });

    it('endorses on the organisations it names; one without a known peer is a clear LEDGER_UNAVAILABLE and nothing is recorded', async () => {
        const connection = await testConnection();
        const named = (orgs: string[]) => gatewayContractPort(session.gateway, session.contract, connection.channel, 'Org1MSP', orgs);
        const key = `${runPrefix('orgs')}/k`;
        // Both organisations, asked at once: MAJORITY of two is met.
        const committed = await runner(named(['Org1MSP', 'Org2MSP'])).run('set', [recordInput(key)]);
        expect((await evaluate<ProvenanceRecord>('get', [key])).id).toBe(committed.transactionId);
        expect(await session.queries.validationCode(committed.transactionId)).toBe(0);
        const error = await runner(named(['Org1MSP', 'Org9MSP'])).run('set', [recordInput(`${key}-unknown-org`)]).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(TrackerError);
        expect((error as TrackerError).code).toBe('LEDGER_UNAVAILABLE');
        expect((error as TrackerError).message).toContain('"endorsingOrganizations"');
        expect((error as TrackerError).message).toContain('Org9MSP');
        expect((error as TrackerError).transactionId).toBeUndefined();
        const missing = await port.evaluate('get', [`${key}-unknown-org`], new Date(Date.now() + 15_000)).then(
            () => 'found',
            (e: unknown) => translateGatewayError(e, { fn: 'get', peer: session.label }).code,
        );
        expect(missing).toBe('NOT_FOUND');
    });

    it('when the orderers lost the transaction, sends the same one again and it commits once', async () => {
        const key = `${runPrefix('lost')}/k`;
        let sends = 0;
        const losing = faultyPort(port, (_, tx) => ({
            transactionId: tx.transactionId,
            result: tx.result,
            submit: async (deadline) => {
                if (sends++ === 0) throw rpcError(grpcStatus.DEADLINE_EXCEEDED, 'submit timeout expired while broadcasting to ordering service');
                await tx.submit(deadline);
            },
            status: (deadline) => tx.status(deadline),
        }));
        const committed = await runner(losing).run('set', [recordInput(key)]);
        expect(sends).toBeGreaterThanOrEqual(2);
        expect((await evaluate<ProvenanceRecord>('get', [key])).id).toBe(committed.transactionId);
        expect(await session.queries.validationCode(committed.transactionId)).toBe(0);
    });
});
