/**
 * Fault injection on real processes: the Fabric ledger backend while orderers, the gateway peer,
 * the chaincode server or the whole network fail. One network of its own (these tests kill its
 * nodes and stop it), on a free port range; each scenario leaves it whole again, so
 * they run in this order on one network. A probe submits records throughout (./testing/probe.ts)
 * and every scenario ends with an audit of what the probe was told against what the ledger holds.
 * Timings are logged with a `[faults]` prefix.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import { startTestNetwork, type TestNetwork } from '@hyperprov/fabric-network/testing';
import { loadConnectionFile, type FabricConnection } from '../connection-file.js';
import { loadConnectionUser } from '../connection-identity.js';
import { openFabricLedger, type FabricLedger, type FabricLedgerOptions } from '../fabric-ledger.js';
import { openRawPort, recordInput } from '../testing/fixtures.js';
import { Probe, audit, recordById, sleep, summarize, uniquePrefix, versionsOf, type ProbeRecord } from './testing/probe.js';

const GATEWAY_PEER = 'peer0.org1';
const OTHER_PEER = 'peer0.org2';
const ORDERERS = ['orderer1', 'orderer2', 'orderer3'];

const log = (line: string): void => console.log(`[faults] ${line}`);

describe('Fabric ledger under faults', () => {
    let dir: string;
    let network: TestNetwork | undefined;
    let connection: FabricConnection;
    let ledger: FabricLedger;
    const opened: FabricLedger[] = [];
    /** Every record acknowledged in any scenario: read back after the whole network restarts. */
    const acknowledged: ProbeRecord[] = [];
    /** Scenario 5's failed submits and what the gateway itself said to a send meanwhile. */
    const quorumLoss: { attempts: ProbeRecord[]; rawSend: string } = { attempts: [], rawSend: '' };

    const open = async (options: Partial<FabricLedgerOptions> = {}): Promise<FabricLedger> => {
        const l = await openFabricLedger({ connection, org: 'Org1', identity: await loadConnectionUser(connection, { org: 'Org1', user: 'User1' }), ...options });
        opened.push(l);
        return l;
    };

    const net = (): TestNetwork => {
        if (!network) throw new Error('the fault network is not running');
        return network;
    };

    /** Waits until `check` returns a value, polling every 100 ms; throws naming `what` after `timeoutMs`. */
    async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
        const end = Date.now() + timeoutMs;
        for (;;) {
            const value = await check().catch(() => undefined);
            if (value !== undefined) return value;
            if (Date.now() >= end) throw new Error(`${what}: not within ${timeoutMs} ms`);
            await sleep(100);
        }
    }

    /** Waits until a Raft leader is reported and every orderer and peer reports the same height; returns the ms it took. */
    async function converged(timeoutMs = 30_000): Promise<{ ms: number; height: number; leader: string }> {
        const started = Date.now();
        return waitFor('heights converged', timeoutMs, async () => {
            const status = await net().status();
            const nodes = status.nodes.filter((n) => n.kind === 'orderer' || n.kind === 'peer');
            const heights = nodes.map((n) => n.height);
            if (!status.raftLeader || nodes.some((n) => !n.running) || heights.some((h) => h === undefined) || new Set(heights).size !== 1) return undefined;
            return { ms: Date.now() - started, height: heights[0] as number, leader: status.raftLeader };
        });
    }

    /** The Raft leader, once exactly one orderer has said so in two status reads 500 ms apart. */
    async function leaderNow(): Promise<string> {
        const leaders = async (): Promise<string[]> => (await net().status()).nodes.filter((n) => n.leader).map((n) => n.name);
        return waitFor('one stable Raft leader', 20_000, async () => {
            const first = await leaders();
            if (first.length !== 1) return undefined;
            await sleep(500);
            const second = await leaders();
            return second.length === 1 && second[0] === first[0] ? first[0] : undefined;
        });
    }

    /** After each scenario, pass or fail: every node running again and the heights equal, so one failure does not cascade. */
    afterEach(async () => {
        if (!network) return;
        const stopped = (await network.status()).nodes.filter((n) => !n.running).map((n) => n.name);
        for (const name of stopped) await network.startNode(name);
        if (stopped.length > 0) log(`restored after the scenario: ${stopped.join(', ')}`);
        await converged(60_000);
    });

    /** Endorses `set` of `key` and sends it once straight through the gateway: the raw error text (or 'accepted'). */
    async function rawSend(key: string): Promise<string> {
        const { session, port } = await openRawPort(connection, 'Org1', 5_000);
        try {
            const tx = await port.endorse('set', [recordInput(key)], new Date(Date.now() + 5_000));
            const started = Date.now();
            return await tx.submit(new Date(Date.now() + 5_000)).then(
                () => `accepted after ${Date.now() - started} ms (tx ${tx.transactionId})`,
                (error: unknown) => {
                    const details = (error as { details?: { address?: string; message?: string }[] }).details ?? [];
                    return `${(error as Error).message} after ${Date.now() - started} ms; details: ${details.map((d) => `${d.address}: ${d.message}`).join('; ') || 'none'}`;
                },
            );
        } finally {
            session.close();
        }
    }

    async function auditAndKeep(name: string, records: ProbeRecord[]): Promise<void> {
        const result = await audit(ledger, records);
        log(`${name}: ${summarize(records)}; audit: ${result.acknowledged} acknowledged and present once, ${result.resolvedCommitted} outcome-unknown found committed by id, ${result.resolvedAbsent} outcome-unknown absent, ${result.definitive} definitive failures absent`);
        expect(result.problems).toEqual([]);
        acknowledged.push(...records.filter((r) => r.id !== undefined));
    }

    beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), 'hyperprov-faults-'));
        network = await startTestNetwork({ dir, log: () => {} });
        log(`network up on base port ${network.basePort} in ${network.upSeconds.toFixed(1)} s (${dir})`);
        connection = await loadConnectionFile(network.connectionFile);
        ledger = await open();
        await converged();
        // `up` returns once there is a Raft leader and the peers know each other through gossip;
        // the first commit is still timed and awaited, so that a network that does not record
        // yet shows here (with what the submits met) rather than as a failed scenario.
        const upAt = Date.now();
        const seen = new Map<string, number>();
        const failures = (): string => [...seen].map(([text, n]) => `${n}× ${text}`).join(' | ') || 'none';
        await waitFor('a first commit on the new network', 120_000, async () =>
            ledger.submit('set', [recordInput(`${uniquePrefix('warm-up')}/first`)]).catch((error: unknown) => {
                const text = `${(error as TrackerError).code}: ${(error as Error).message.slice(0, 240)}`;
                seen.set(text, (seen.get(text) ?? 0) + 1);
                return undefined;
            }),
        ).catch((error: unknown) => {
            throw new Error(`${(error as Error).message}; the submits failed with: ${failures()}`);
        });
        log(`first commit ${Date.now() - upAt} ms after up; failures before it: ${failures()}`);
    });

    afterAll(async () => {
        try {
            // close() waits for submits in flight; none should be, but never hang the teardown on it.
            await Promise.race([Promise.allSettled(opened.map((l) => l.close())), sleep(15_000)]);
        } finally {
            try {
                await network?.stop();
            } finally {
                if (dir) await rm(dir, { recursive: true, force: true });
            }
        }
    });

    it('1. a Raft follower killed: no record fails; restarted, it catches up', { timeout: 90_000 }, async () => {
        const leader = await leaderNow();
        const follower = ORDERERS.find((n) => n !== leader) as string;
        const probe = new Probe(ledger, uniquePrefix('follower')).start();
        await sleep(1_500);
        const killedAt = Date.now();
        await net().stopNode(follower);
        await sleep(4_000);
        const leaderAfter = (await net().status()).raftLeader;
        const records = await probe.stop();
        log(`follower ${follower} killed (leader before ${leader}, after ${leaderAfter}): ${summarize(records)}; first failure: ${probe.failed()[0]?.error?.message ?? 'none'}`);
        expect(records.filter((r) => r.startedAt >= killedAt && r.id !== undefined).length).toBeGreaterThan(5);
        expect(probe.failed().map((r) => `${r.key}: ${r.error?.code} ${r.error?.message}`)).toEqual([]);
        await net().startNode(follower);
        const caughtUp = await converged();
        log(`follower ${follower} (leader ${leader}) SIGKILLed for 4 s; restarted, heights equal (${caughtUp.height}) ${caughtUp.ms} ms after start`);
        await auditAndKeep('follower kill', records);
    });

    it('2. the Raft leader killed: records resume within 20 s, none lost, none twice', { timeout: 150_000 }, async () => {
        const leader = await leaderNow();
        const probe = new Probe(ledger, uniquePrefix('leader')).start();
        await sleep(1_500);
        const killedAt = Date.now();
        await net().stopNode(leader);
        const inFlightAtKill = probe.inFlight;
        const newLeader = waitFor('a new Raft leader', 20_000, async () => {
            const status = await net().status();
            return status.raftLeader && status.raftLeader !== leader ? { name: status.raftLeader, ms: Date.now() - killedAt } : undefined;
        });
        const resumedMs = await probe.waitForCommitAfter(killedAt, 20_000);
        const elected = await newLeader.catch((error: unknown) => ({ name: `none (${String(error)})`, ms: NaN }));
        await sleep(2_000);
        const records = await probe.stop();
        const slowest = Math.max(...records.map((r) => (r.endedAt as number) - r.startedAt));
        log(`leader ${leader} SIGKILLed with ${inFlightAtKill} records in flight: new leader ${elected.name} seen after ${elected.ms} ms; first commit of a record sent after the kill ${resumedMs} ms after it; slowest record ${slowest} ms`);
        expect(resumedMs, 'no record sent after the kill committed within 20 s').toBeDefined();
        expect(resumedMs as number).toBeLessThanOrEqual(20_000);
        // The peers are fine: nothing may fail definitively; an outcome-unknown failure must carry its id.
        for (const r of probe.failed()) expect(r.error?.transactionId, `${r.key}: ${r.error?.code} ${r.error?.message}`).toBeDefined();
        await net().startNode(leader);
        const caughtUp = await converged();
        log(`old leader ${leader} restarted: heights equal (${caughtUp.height}) after ${caughtUp.ms} ms`);
        await auditAndKeep('leader kill', records);
    });

    it('3. the gateway peer stopped and restarted: clear LEDGER_UNAVAILABLE meanwhile; the same ledger works again, the peer catches up', { timeout: 150_000 }, async () => {
        const probe = new Probe(ledger, uniquePrefix('peer')).start();
        await sleep(1_500);
        const stoppedAt = Date.now();
        await net().stopNode(GATEWAY_PEER);
        await sleep(1_000);
        const evaluateError = await ledger.evaluate('get', [`${uniquePrefix('peer')}/none`]).then(
            () => undefined,
            (error: unknown) => error as TrackerError,
        );
        await sleep(4_000);
        const restartedAt = Date.now();
        await net().startNode(GATEWAY_PEER);
        const healthyMs = Date.now() - restartedAt;
        const resumedMs = await probe.waitForCommitAfter(restartedAt, 60_000);
        await sleep(1_000);
        const records = await probe.stop();
        const outage = records.filter((r) => r.startedAt >= stoppedAt && r.startedAt < restartedAt);
        const sample = probe.failed()[0]?.error;
        log(`${GATEWAY_PEER} SIGKILLed for ${restartedAt - stoppedAt} ms: ${outage.filter((r) => r.error).length}/${outage.length} records sent meanwhile failed; startNode returned (healthy) after ${healthyMs} ms; first commit of a record sent after the restart ${resumedMs} ms after it. Sample error: ${sample?.code}: ${sample?.message}`);
        log(`evaluate during the outage: ${evaluateError?.code}: ${evaluateError?.message}`);
        expect(evaluateError).toBeInstanceOf(TrackerError);
        expect(evaluateError?.code).toBe('LEDGER_UNAVAILABLE');
        expect(evaluateError?.message).toContain('peer0.org1');
        for (const r of probe.failed()) {
            expect(r.error?.code, `${r.key}: ${r.error?.message}`).toBe('LEDGER_UNAVAILABLE');
            expect(r.error?.message).toMatch(/peer0\.org1\.example\.com/);
            // Right after the restart, until discovery has found the other org's peer again, the
            // gateway answers FAILED_PRECONDITION "no peer combination can satisfy the endorsement
            // policy", or, asked for both organisations (the connection file's endorsingOrganizations),
            // UNAVAILABLE "failed to find any endorsing peers for org(s)".
            expect(r.error?.message).toMatch(/cannot reach the Fabric peer|did not accept|may still commit|no peer combination can satisfy the endorsement policy|knows no peer of an organisation named in/);
        }
        const discovery = probe.failed().filter((r) => /endorsement policy|knows no peer of an organisation/.test(r.error?.message ?? ''));
        log(`failures after the restart while discovery caught up (no peer of the other organisation known yet): ${discovery.length}, last ${discovery.length ? Math.max(...discovery.map((r) => r.startedAt)) - restartedAt : '-'} ms after the restart`);
        expect(resumedMs, 'the same ledger did not commit again within 60 s of the restart').toBeDefined();
        expect(resumedMs as number).toBeLessThanOrEqual(30_000);
        const started = Date.now();
        const heights = await waitFor(`${GATEWAY_PEER} at ${OTHER_PEER}'s height`, 30_000, async () => {
            const status = await net().status();
            const [mine, other] = [GATEWAY_PEER, OTHER_PEER].map((name) => status.nodes.find((n) => n.name === name)?.height);
            return mine !== undefined && mine === other ? mine : undefined;
        });
        log(`${GATEWAY_PEER} at ${OTHER_PEER}'s height ${heights} (${Date.now() - started} ms after the probe stopped)`);
        await auditAndKeep('peer restart', records);
    });

    it('4. the chaincode server killed and restarted: submits fail with a clear error meanwhile, then succeed', { timeout: 150_000 }, async () => {
        const probe = new Probe(ledger, uniquePrefix('chaincode')).start();
        await sleep(1_500);
        const killedAt = Date.now();
        await net().stopNode('chaincode');
        await sleep(4_000);
        const restartedAt = Date.now();
        await net().startNode('chaincode');
        const listeningMs = Date.now() - restartedAt;
        const resumedMs = await probe.waitForCommitAfter(restartedAt, 60_000);
        await sleep(1_000);
        const records = await probe.stop();
        const outage = records.filter((r) => r.startedAt >= killedAt + 500 && r.startedAt < restartedAt);
        const failedMeanwhile = outage.filter((r) => r.error);
        const sample = failedMeanwhile[0]?.error;
        log(`chaincode SIGKILLed for ${restartedAt - killedAt} ms: ${failedMeanwhile.length}/${outage.length} records sent meanwhile failed; startNode returned after ${listeningMs} ms; first commit of a record sent after the restart ${resumedMs} ms after it. Sample error: ${sample?.code}: ${sample?.message}`);
        expect(failedMeanwhile.length).toBeGreaterThan(0);
        for (const r of probe.failed()) {
            expect(r.error?.code, `${r.key}: ${r.error?.message}`).toBe('LEDGER_UNAVAILABLE');
            expect(r.error?.message).toMatch(/contract is not running/);
        }
        expect(resumedMs, 'no commit within 60 s of the chaincode restart').toBeDefined();
        await auditAndKeep('chaincode restart', records);
    });

    it('5. two of three orderers down: a submit fails in bounded time saying why; nothing half-recorded', { timeout: 150_000 }, async () => {
        const short = await open({ coalesce: false, timeouts: { endorseMs: 5_000, submitMs: 3_000, commitStatusMs: 2_000, outcomeMs: 10_000 } });
        const leader = await leaderNow();
        // Keep the leader: it may still take a transaction into its log before it notices it lost quorum.
        const down = ORDERERS.filter((n) => n !== leader);
        for (const name of down) await net().stopNode(name);
        const downAt = Date.now();
        const prefix = uniquePrefix('quorum');
        // What the gateway itself answers to one send, right away and once the lone orderer has noticed.
        const raw = Promise.all([rawSend(`${prefix}/raw0`), sleep(4_000).then(() => rawSend(`${prefix}/raw4`))]).then((r) => `at once: ${r[0]}; 4 s later: ${r[1]}`);
        const attempts = await Promise.all(
            [0, 1, 2].map(async (i) => {
                const record: ProbeRecord = { key: `${prefix}/${i}`, startedAt: Date.now() };
                await sleep(i * 1_500);
                record.startedAt = Date.now();
                try {
                    const result = await short.submit('set', [recordInput(record.key)]);
                    record.id = result.transactionId;
                } catch (error) {
                    record.error = error as TrackerError;
                }
                record.endedAt = Date.now();
                return record;
            }),
        );
        for (const r of attempts) log(`quorum lost (${down.join(', ')} down, ${leader} alone), submit ${r.startedAt - downAt} ms after: ${r.id ? `committed ${r.id}` : `${r.error?.code} after ${(r.endedAt as number) - r.startedAt} ms, transactionId ${r.error?.transactionId}: ${r.error?.message}`}`);
        for (const r of attempts) {
            expect(r.id, `${r.key} committed without a Raft quorum`).toBeUndefined();
            expect(r.error).toBeInstanceOf(TrackerError);
            // endorseMs + outcomeMs, plus slack for a loaded machine.
            expect((r.endedAt as number) - r.startedAt).toBeLessThanOrEqual(20_000);
            const { code, transactionId, message } = r.error as TrackerError;
            expect(['LEDGER_UNAVAILABLE', 'TIMEOUT']).toContain(code);
            if (code === 'TIMEOUT') expect(transactionId).toBeDefined();
            expect(message.length).toBeGreaterThan(0);
        }
        quorumLoss.attempts = attempts;
        quorumLoss.rawSend = await raw;
        log(`meanwhile, the gateway's own answer to a send of an endorsed transaction: ${quorumLoss.rawSend}`);
        const restartAt = Date.now();
        for (const name of down) await net().startNode(name);
        // A commit after the restart: whatever the orderers held from before is committed or gone by then.
        const resumed = await waitFor('a commit after quorum came back', 30_000, async () => short.submit('set', [recordInput(`${prefix}/after`)]));
        log(`orderers ${down.join(', ')} restarted: first commit ${Date.now() - restartAt} ms later (${resumed.transactionId})`);
        const caughtUp = await converged();
        await sleep(500);
        for (const r of [...attempts, ...['raw0', 'raw4'].map((n) => ({ key: `${prefix}/${n}`, startedAt: 0 }) as ProbeRecord)]) {
            const txId = r.error?.transactionId;
            const versions = await versionsOf(ledger, r.key);
            const byId = txId === undefined ? undefined : await recordById(ledger, txId);
            log(`${r.key}: tx ${txId} ${byId ? 'committed after all' : 'not committed'}; versions ${JSON.stringify(versions)}`);
            expect(versions.length).toBeLessThanOrEqual(1);
            if (byId) expect(versions).toEqual([txId]);
            else if (r.error) expect(versions).toEqual([]);
        }
        log(`heights equal (${caughtUp.height}) again, leader ${caughtUp.leader}`);
        acknowledged.push({ key: `${prefix}/after`, startedAt: restartAt, id: resumed.transactionId });
    });

    // While the orderers lack quorum the gateway answers each resend "14 UNAVAILABLE: no orderers
    // could successfully process transaction"; the last call of a resolve is a commit-status wait
    // that ran out, so TransactionRunner reports the last send error, not that wait.
    it("5b. two of three orderers down: the error says the ordering service has no Raft quorum / leader, not just 'did not answer in time'", () => {
        expect(quorumLoss.attempts.length).toBe(3);
        for (const r of quorumLoss.attempts) {
            // Without the closing boilerplate ("reached the orderers, so it may still commit").
            const cause = (r.error?.message ?? '').split(' The transaction ')[0] as string;
            expect(cause).toMatch(/Raft|leader|quorum|ordering service|orderers? (are|is) (down|unreachable)|SERVICE_UNAVAILABLE/i);
        }
    });

    it('6. the whole network stopped and started again from its folder: every acknowledged record is there, new records commit', { timeout: 180_000 }, async () => {
        expect(acknowledged.length).toBeGreaterThan(20);
        const stopStarted = Date.now();
        await net().stop();
        const stoppedMs = Date.now() - stopStarted;
        const basePort = net().basePort;
        network = undefined;
        const upStarted = Date.now();
        network = await startTestNetwork({ basePort, dir, log: () => {} });
        const upMs = Date.now() - upStarted;
        // The same Ledger instance (one gRPC connection) is used across the restart; a fresh one,
        // opened meanwhile, tells how much of the wait is the network's and how much the client's.
        const upAt = Date.now();
        const fresh = (async () => {
            const other = await open();
            const attempts: string[] = [];
            const result = await waitFor('a fresh ledger committing after the network restart', 60_000, async () => {
                const t = Date.now();
                return other.submit('set', [recordInput(`${uniquePrefix('restart-fresh')}/first`)]).catch((error: unknown) => {
                    attempts.push(`${Date.now() - t} ms: ${(error as TrackerError).code} ${(error as Error).message.slice(0, 300)}`);
                    return undefined;
                });
            });
            return { ms: Date.now() - upAt, attempts, result };
        })();
        const attempts: string[] = [];
        let lastStart = 0;
        const firstOk = await waitFor('the same ledger committing after the network restart', 60_000, async () => {
            const t = (lastStart = Date.now());
            return ledger.submit('set', [recordInput(`${uniquePrefix('restart')}/first`)]).catch((error: unknown) => {
                attempts.push(`${Date.now() - t} ms: ${(error as TrackerError).code} ${(error as Error).message.slice(0, 300)}`);
                return undefined;
            });
        });
        const reconnectMs = Date.now() - upAt;
        const freshResult = await fresh;
        log(`after the restart, the same ledger's failed attempts: ${attempts.length ? attempts.join(' | ') : 'none'}; the successful one took ${Date.now() - lastStart} ms`);
        log(`a ledger opened after the restart committed ${freshResult.ms} ms after up; its failed attempts: ${freshResult.attempts.length ? freshResult.attempts.join(' | ') : 'none'}`);
        const readStarted = Date.now();
        const missing: string[] = [];
        for (const r of acknowledged) {
            const byId = await recordById(ledger, r.id as string);
            if (byId?.key !== r.key) missing.push(`${r.key} (${r.id}): getFromId gives ${JSON.stringify(byId)}`);
            else if ((await versionsOf(ledger, r.key)).length !== 1) missing.push(`${r.key}: not exactly one version`);
        }
        log(`whole network: down in ${stoppedMs} ms, up again (resumed) in ${upMs} ms (network says ${network.upSeconds.toFixed(1)} s); the same ledger committed ${reconnectMs} ms after that (${firstOk.transactionId}); ${acknowledged.length} acknowledged records read back in ${Date.now() - readStarted} ms`);
        expect(missing).toEqual([]);
        const probe = new Probe(ledger, uniquePrefix('after-restart')).start();
        await sleep(2_000);
        const records = await probe.stop();
        expect(probe.failed().map((r) => `${r.key}: ${r.error?.code} ${r.error?.message}`)).toEqual([]);
        expect(probe.committed().length).toBeGreaterThan(5);
        await auditAndKeep('after restart', records);
        await converged();
    });
});
