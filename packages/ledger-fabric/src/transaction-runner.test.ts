import { status as grpcStatus } from '@grpc/grpc-js';
import { GatewayError } from '@hyperledger/fabric-gateway';
import { describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import type { ContractPort, EndorsedTransaction } from './contract-port.js';
import { TransactionRunner, type RunnerOptions } from './transaction-runner.js';

function gatewayError(code: number, message: string, details: string[] = []): GatewayError {
    return new GatewayError({ code, message, details: details.map((m) => ({ address: 'orderer:7050', mspId: 'OrdererMSP', message: m })), cause: Object.assign(new Error(message), { code, details: message, metadata: undefined }) as never });
}

type Step = { code: number; blockNumber?: bigint } | Error;

/**
 * A fake network: each endorsement makes a transaction whose sends and status answers follow
 * the scripts given per endorsement; time is virtual (sleep and deadlines advance the clock).
 */
function fakeNetwork(script: { endorse?: Error; sends?: (Error | undefined)[]; statuses: Step[] }[]) {
    let clock = 0;
    const log: string[] = [];
    let endorsements = 0;
    const port: ContractPort = {
        async endorse(fn) {
            const plan = script[endorsements];
            const txId = `tx${++endorsements}`;
            log.push(`endorse ${fn} ${txId}`);
            if (!plan) throw new Error('unexpected endorsement');
            if (plan.endorse) throw plan.endorse;
            let send = 0;
            let status = 0;
            const tx: EndorsedTransaction = {
                transactionId: txId,
                result: new TextEncoder().encode(`result of ${txId}`),
                async submit() {
                    log.push(`send ${txId}`);
                    const failure = plan.sends?.[send++];
                    if (failure) throw failure;
                },
                async status(deadline) {
                    const step = plan.statuses[Math.min(status++, plan.statuses.length - 1)] as Step;
                    log.push(`status ${txId}`);
                    if (step instanceof Error) {
                        // A status wait that times out takes until its deadline.
                        if (step instanceof GatewayError && step.code === grpcStatus.DEADLINE_EXCEEDED) clock = deadline.getTime();
                        throw step;
                    }
                    return { code: step.code, blockNumber: step.blockNumber ?? 5n };
                },
            };
            return tx;
        },
        async evaluate() {
            return new Uint8Array();
        },
    };
    const options: RunnerOptions = {
        timeouts: { endorseMs: 1000, submitMs: 1000, commitStatusMs: 10_000, outcomeMs: 60_000 },
        conflictRetries: 3,
        backoffMs: 50,
        peer: 'peer0 (127.0.0.1:7051)',
        now: () => clock,
        sleep: async (ms) => {
            log.push(`sleep ${ms}`);
            clock += ms;
        },
        random: () => 0.5,
    };
    return { port, options, log, elapsed: () => clock };
}

const timeout = () => gatewayError(grpcStatus.DEADLINE_EXCEEDED, 'deadline exceeded');
const unavailable = () => gatewayError(grpcStatus.UNAVAILABLE, 'connection refused');

describe('TransactionRunner', () => {
    it('returns the endorsed result and the block of a VALID commit', async () => {
        const net = fakeNetwork([{ statuses: [{ code: 0, blockNumber: 9n }] }]);
        const committed = await new TransactionRunner(net.port, net.options).run('set', ['{}']);
        expect(committed).toEqual({ transactionId: 'tx1', blockNumber: 9n, result: new TextEncoder().encode('result of tx1') });
        expect(net.log).toEqual(['endorse set tx1', 'send tx1', 'status tx1']);
    });

    it('retries MVCC and phantom conflicts with a fresh proposal after a growing jittered back-off', async () => {
        const net = fakeNetwork([{ statuses: [{ code: 11 }] }, { statuses: [{ code: 12 }] }, { statuses: [{ code: 0 }] }]);
        const committed = await new TransactionRunner(net.port, net.options).run('set', ['{}']);
        expect(committed.transactionId).toBe('tx3');
        expect(net.log.filter((l) => l.startsWith('endorse') || l.startsWith('sleep'))).toEqual(['endorse set tx1', 'sleep 50', 'endorse set tx2', 'sleep 100', 'endorse set tx3']);
    });

    it('gives up on conflicts after conflictRetries with CONFLICT and no transactionId (nothing recorded)', async () => {
        const net = fakeNetwork(Array.from({ length: 4 }, () => ({ statuses: [{ code: 11 }] })));
        const error = (await new TransactionRunner(net.port, net.options).run('set', ['{}']).catch((e) => e)) as TrackerError;
        expect([error.code, error.transactionId]).toEqual(['CONFLICT', undefined]);
        expect(error.message).toContain('MVCC_READ_CONFLICT');
    });

    it('reports other invalid commits as definitive failures', async () => {
        const net = fakeNetwork([{ statuses: [{ code: 10 }] }]);
        const error = (await new TransactionRunner(net.port, net.options).run('set', ['{}']).catch((e) => e)) as TrackerError;
        expect([error.code, error.transactionId]).toEqual(['LEDGER_UNAVAILABLE', undefined]);
        expect(error.message).toMatch(/ENDORSEMENT_POLICY_FAILURE.*nothing was recorded/);
    });

    it('an endorsement failure is definitive and never sends anything', async () => {
        const net = fakeNetwork([{ endorse: unavailable(), statuses: [] }]);
        const error = (await new TransactionRunner(net.port, net.options).run('set', ['{}']).catch((e) => e)) as TrackerError;
        expect([error.code, error.transactionId]).toEqual(['LEDGER_UNAVAILABLE', undefined]);
        expect(net.log).toEqual(['endorse set tx1']);
    });

    it('endorses again when a peer does not have a dependency yet (it is behind the gateway peer), then records', async () => {
        const missing = () => gatewayError(grpcStatus.ABORTED, 'failed to endorse transaction, see attached details for more info', ["chaincode response 500, [DEPENDENCY_NOT_FOUND] dependency 'tx0' of 'k' is not on the ledger"]);
        const net = fakeNetwork([{ endorse: missing(), statuses: [] }, { endorse: missing(), statuses: [] }, { statuses: [{ code: 0 }] }]);
        const committed = await new TransactionRunner(net.port, net.options).run('set', ['{}']);
        expect(committed.transactionId).toBe('tx3');
        expect(net.log.filter((l) => l.startsWith('endorse') || l.startsWith('sleep'))).toEqual(['endorse set tx1', 'sleep 50', 'endorse set tx2', 'sleep 100', 'endorse set tx3']);
    });

    it('a dependency still missing after lagRetries is DEPENDENCY_NOT_FOUND, with nothing sent', async () => {
        const missing = () => gatewayError(grpcStatus.ABORTED, 'failed to endorse transaction', ["chaincode response 500, [DEPENDENCY_NOT_FOUND] dependency 'nope' of 'k' is not on the ledger"]);
        const net = fakeNetwork(Array.from({ length: 3 }, () => ({ endorse: missing(), statuses: [] })));
        const error = (await new TransactionRunner(net.port, { ...net.options, lagRetries: 2 }).run('set', ['{}']).catch((e) => e)) as TrackerError;
        expect([error.code, error.transactionId]).toEqual(['DEPENDENCY_NOT_FOUND', undefined]);
        expect(net.log.filter((l) => l.startsWith('send'))).toEqual([]);
        expect(net.log.filter((l) => l.startsWith('endorse'))).toHaveLength(3);
    });

    it('resolves an unknown outcome by sending the same signed transaction again, never a new proposal', async () => {
        // The first send fails on the way back, the status call drops, then a status wait times
        // out (the orderers lost it), a resend lands and commits.
        const net = fakeNetwork([{ sends: [unavailable()], statuses: [unavailable(), timeout(), { code: 0, blockNumber: 12n }] }]);
        const committed = await new TransactionRunner(net.port, net.options).run('set', ['{}']);
        expect(committed).toMatchObject({ transactionId: 'tx1', blockNumber: 12n });
        expect(net.log.filter((l) => l.startsWith('endorse'))).toEqual(['endorse set tx1']);
        expect(net.log.filter((l) => l.startsWith('send') || l.startsWith('status'))).toEqual(['send tx1', 'status tx1', 'send tx1', 'status tx1', 'send tx1', 'status tx1']);
    });

    it('when the outcome stays unknown, fails with TIMEOUT carrying the transaction id, never success', async () => {
        const net = fakeNetwork([{ statuses: [timeout()] }]);
        const error = (await new TransactionRunner(net.port, net.options).run('set', ['{}']).catch((e) => e)) as TrackerError;
        expect([error.code, error.transactionId]).toEqual(['TIMEOUT', 'tx1']);
        expect(error.message).toContain('may still commit');
        expect(error.message).toContain('hyperprov show tx1');
        expect(net.elapsed()).toBeGreaterThanOrEqual(60_000);
        expect(net.elapsed()).toBeLessThan(61_000);
        expect(net.log.filter((l) => l.startsWith('endorse'))).toEqual(['endorse set tx1']);
    });

    it('a peer that stays unreachable ends as LEDGER_UNAVAILABLE with the transaction id', async () => {
        const net = fakeNetwork([{ sends: Array.from({ length: 1000 }, unavailable), statuses: [unavailable()] }]);
        const error = (await new TransactionRunner(net.port, net.options).run('set', ['{}']).catch((e) => e)) as TrackerError;
        expect([error.code, error.transactionId]).toEqual(['LEDGER_UNAVAILABLE', 'tx1']);
        expect(error.message).toContain('may still commit');
    });

    it('reports why the orderers refused the resends (quorum lost), not the status wait that timed out after them', async () => {
        // The first copy is accepted and lost; every resend is refused while Raft has no quorum.
        const noQuorum = () => gatewayError(grpcStatus.UNAVAILABLE, 'no orderers could successfully process transaction', ['connection refused']);
        const net = fakeNetwork([{ sends: [undefined, ...Array.from({ length: 1000 }, noQuorum)], statuses: [timeout()] }]);
        const error = (await new TransactionRunner(net.port, net.options).run('set', ['{}']).catch((e) => e)) as TrackerError;
        expect([error.code, error.transactionId]).toEqual(['LEDGER_UNAVAILABLE', 'tx1']);
        expect(error.message).toContain('ordering service did not accept');
        expect(error.message).toContain('Raft leader');
    });

    it('an orderer refusing the envelope on the first send is definitive', async () => {
        const refused = gatewayError(grpcStatus.ABORTED, 'received unsuccessful response from orderer: status=REQUEST_ENTITY_TOO_LARGE, info=too big');
        const net = fakeNetwork([{ sends: [refused], statuses: [{ code: 0 }] }]);
        const error = (await new TransactionRunner(net.port, net.options).run('set', ['{}']).catch((e) => e)) as TrackerError;
        expect([error.code, error.transactionId]).toEqual(['LEDGER_UNAVAILABLE', undefined]);
        expect(net.log).toEqual(['endorse set tx1', 'send tx1']);
    });

    it('honours an abort before the transaction is sent, not after', async () => {
        const aborted = AbortSignal.abort();
        const net = fakeNetwork([{ statuses: [{ code: 0 }] }]);
        await expect(new TransactionRunner(net.port, net.options).run('set', ['{}'], aborted)).rejects.toMatchObject({ code: 'ABORTED' });
        expect(net.log).toEqual([]);
        const controller = new AbortController();
        const late = fakeNetwork([{ statuses: [{ code: 0 }] }]);
        const port: ContractPort = {
            ...late.port,
            async endorse(fn, args, deadline) {
                const tx = await late.port.endorse(fn, args, deadline);
                return {
                    ...tx,
                    transactionId: tx.transactionId,
                    result: tx.result,
                    async submit(d) {
                        await tx.submit(d);
                        controller.abort();
                    },
                    status: (d) => tx.status(d),
                };
            },
        };
        await expect(new TransactionRunner(port, late.options).run('set', ['{}'], controller.signal)).resolves.toMatchObject({ transactionId: 'tx1' });
    });
});
