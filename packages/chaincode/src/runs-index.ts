/**
 * The runs index: every record whose `meta.run` is set belongs to that training run. Writes keep
 * one summary entry per run (so listing runs reads one entry each, never the records) and one
 * (run, timestamp, id) entry per record (so a run's checkpoints come back in order, a page at a
 * time). Both ledgers run this code, so `runs` answers the same on the embedded ledger and Fabric.
 */
import { canonicalJson } from './canonical-json';
import { ContractError } from './errors';
import type { JsonValue, Page, ProvenanceRecord, RunDetails, RunSummary } from './record';
import { INDEX, INDEX_VALUE } from './state-layout';
import { drain, lastAttribute, mustLoad, type ProvenanceContext } from './state-access';
import { assertValidRunId, parsePageSize } from './validation';

/** The run a record belongs to, if any (validation has checked its form). */
export function runOf(record: ProvenanceRecord): string | undefined {
    const run = record.meta.run;
    return typeof run === 'string' ? run : undefined;
}

/**
 * Adds `records` (one transaction's, in order) to the runs index. Fabric has no read-your-writes,
 * so the records of one run in one batch are folded into its summary in memory and the summary is
 * read once and written once.
 */
export async function indexRuns(ctx: ProvenanceContext, records: readonly ProvenanceRecord[]): Promise<void> {
    const byRun = new Map<string, ProvenanceRecord[]>();
    for (const record of records) {
        const run = runOf(record);
        if (run === undefined) continue;
        byRun.set(run, [...(byRun.get(run) ?? []), record]);
    }
    const marker = Buffer.from(INDEX_VALUE, 'utf8');
    for (const [run, members] of byRun) {
        const summaryKey = ctx.stub.createCompositeKey(INDEX.runSummary, [run]);
        const stored = await ctx.stub.getState(summaryKey);
        let summary: RunSummary | undefined = stored.length > 0 ? (JSON.parse(Buffer.from(stored).toString('utf8')) as RunSummary) : undefined;
        for (const record of members) {
            summary = foldRecord(summary, run, record);
            await ctx.stub.putState(ctx.stub.createCompositeKey(INDEX.run, [run, record.timestamp, record.id]), marker);
        }
        await ctx.stub.putState(summaryKey, Buffer.from(canonicalJson(summary), 'utf8'));
    }
}

/** The summary after one more record of the run. */
function foldRecord(summary: RunSummary | undefined, run: string, record: ProvenanceRecord): RunSummary {
    const epoch = record.meta.epoch;
    const metrics = record.meta.metrics;
    const next: RunSummary = {
        run,
        keys: summary === undefined ? [record.key] : summary.keys.includes(record.key) ? summary.keys : [...summary.keys, record.key],
        epochs: (summary?.epochs ?? 0) + 1,
        first: summary?.first ?? record.timestamp,
        last: record.timestamp,
        lastRecordId: record.id,
    };
    if (typeof epoch === 'number') next.lastEpoch = epoch;
    if (typeof metrics === 'object' && metrics !== null && !Array.isArray(metrics)) next.lastMetrics = metrics as { [name: string]: JsonValue };
    return next;
}

/** `getRuns`: one page of run summaries, in run id order. */
export async function getRuns(ctx: ProvenanceContext, pageSize: string, bookmark: string): Promise<string> {
    const size = parsePageSize(pageSize);
    const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(INDEX.runSummary, [], size, bookmark);
    const items: RunSummary[] = [];
    for await (const kv of drain(iterator)) items.push(JSON.parse(Buffer.from(kv.value).toString('utf8')) as RunSummary);
    const page: Page<RunSummary> = { items, bookmark: items.length < size ? '' : metadata.bookmark };
    return canonicalJson(page);
}

/** `getRun`: a run's summary and one page of its records, oldest first. */
export async function getRun(ctx: ProvenanceContext, run: string, pageSize: string, bookmark: string): Promise<string> {
    assertValidRunId(run);
    const size = parsePageSize(pageSize);
    const stored = await ctx.stub.getState(ctx.stub.createCompositeKey(INDEX.runSummary, [run]));
    if (stored.length === 0) {
        throw new ContractError('NOT_FOUND', `no run '${run}'; \`hyperprov runs\` lists the recorded runs`);
    }
    const summary = JSON.parse(Buffer.from(stored).toString('utf8')) as RunSummary;
    const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(INDEX.run, [run], size, bookmark);
    const ids: string[] = [];
    for await (const kv of drain(iterator)) ids.push(lastAttribute(ctx, kv.key));
    const items = await Promise.all(ids.map((id) => mustLoad(ctx, id, `runs index of ${run}`)));
    const details: RunDetails = { summary, records: { items, bookmark: items.length < size ? '' : metadata.bookmark } };
    return canonicalJson(details);
}
