/**
 * The tracker as the server uses it. The epoch hook (`epoch`, `epochStatus`, `flush`) and the
 * runs queries are being added to `Tracker`; until a tracker has them, their routes answer that
 * this tracker does not support them instead of failing at startup, so the rest of the server
 * (health, the CLI forwarding) works with any tracker.
 */
import type { Page, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { EpochHandle, EpochInput, EpochStatus, FlushResult, PageOptions, RunSummary } from '@hyperprov/tracker';

/** The methods the epoch and runs routes call, with exactly the shapes `Tracker` is getting. */
export interface EpochCapableTracker {
    epoch(input: EpochInput): Promise<EpochHandle>;
    epochStatus(entry: string): Promise<EpochStatus | undefined>;
    flush(options?: { timeoutMs?: number }): Promise<FlushResult>;
    runs(options?: PageOptions): Promise<Page<RunSummary>>;
    run(id: string, options?: PageOptions): Promise<{ summary: RunSummary; records: Page<ProvenanceRecord> }>;
}

