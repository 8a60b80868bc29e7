/**
 * The provenance record, schema version 1 (see DESIGN.md "The record").
 * These types are shared by the contract, the embedded ledger and the tracker SDK.
 */

/** Current record schema version, stored in every record. */
export const SCHEMA_VERSION = 1 as const;

/** `record`: new bytes; `transformation`: bytes derived from the dependencies. */
export type RecordType = 'record' | 'transformation';
export const RECORD_TYPES: readonly RecordType[] = ['record', 'transformation'];

/** Who submitted the record, as seen by the chaincode from the signing certificate. */
export interface Creator {
    /** MSP id of the submitting organisation, e.g. `Org1MSP`. */
    mspId: string;
    /** Fabric client identity id: `x509::<subject DN>::<issuer DN>`. */
    id: string;
}

/** JSON values allowed in `meta`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A provenance record as stored on the ledger. */
export interface ProvenanceRecord {
    schema: typeof SCHEMA_VERSION;
    /** Transaction id, or `<txId>.<n>` for the n-th record of a `setMany` batch. */
    id: string;
    key: string;
    /** `sha256:<64 lowercase hex>` of the exact stored bytes. */
    checksum: string;
    size: number;
    /** Store URL, e.g. `s3://bucket/prefix`, `sshfs:///mnt/store`, `file:///var/store`. */
    location: string;
    /** Object name inside `location`. */
    pointer: string;
    creator: Creator;
    /** Transaction timestamp, ISO 8601 UTC with millisecond precision. */
    timestamp: string;
    type: RecordType;
    meta: { [key: string]: JsonValue };
    /** Record ids this item was made from. */
    dependencies: string[];
}

/** What a client sends to `set` / `setMany`; the contract adds id, creator, timestamp, schema. */
export interface RecordInput {
    key: string;
    checksum: string;
    size: number;
    location: string;
    pointer: string;
    type?: RecordType;
    meta?: { [key: string]: JsonValue };
    dependencies?: string[];
}

/** One page of a paginated query. `bookmark` is empty when there are no more pages. */
export interface Page<T> {
    items: T[];
    bookmark: string;
}

/** Result of `getDependencies` / `getDependents`: a DAG of full records, each listed once. */
export interface LineageGraph {
    /** The record the query started from. */
    root: string;
    /** Every record reached (root included), keyed by id. */
    records: { [id: string]: ProvenanceRecord };
    /** Adjacency: id -> ids it depends on (up) or ids that depend on it (down). */
    edges: { [id: string]: string[] };
    /** Ids at the depth limit whose further edges were not followed. */
    truncated: string[];
}

/** Result of `checkHash`. */
export interface HashCheck {
    key: string;
    match: boolean;
    /** The checksum recorded for the latest version of `key`. */
    recorded: string;
    id: string;
}

/**
 * A training run as the contract's runs index keeps it: every record whose `meta.run` is a string
 * belongs to that run (`meta.epoch` and `meta.metrics` are read when present).
 */
export interface RunSummary {
    run: string;
    /** Item keys recorded in the run (usually one model key), in order of first appearance. */
    keys: string[];
    /** Number of records in the run. */
    epochs: number;
    /** Timestamps of the first and the last record. */
    first: string;
    last: string;
    lastRecordId: string;
    lastEpoch?: number;
    lastMetrics?: { [name: string]: JsonValue };
}

/** Result of `getRun`: the summary and one page of the run's records, oldest first. */
export interface RunDetails {
    summary: RunSummary;
    records: Page<ProvenanceRecord>;
}

/** Payload of the chaincode event emitted by every write (event name `hyperprov.recorded`). */
export interface RecordedEvent {
    ids: string[];
    keys: string[];
}

/** Name of the chaincode event every write emits. */
export const RECORDED_EVENT = 'hyperprov.recorded';

/** Bounds enforced by the contract. */
export const LIMITS = {
    /** Maximum key length in UTF-8 bytes. */
    keyBytes: 1024,
    /** Maximum canonical JSON size of `meta` in bytes. */
    metaBytes: 64 * 1024,
    /** Maximum number of dependencies of one record. */
    dependencies: 1024,
    /** Maximum length of location and pointer. */
    locationBytes: 2048,
    /** Maximum records in one `setMany`. */
    batch: 1000,
    /** Maximum page size for paginated queries. */
    pageSize: 1000,
    /** Maximum lineage depth in one call. */
    depth: 100000,
} as const;
