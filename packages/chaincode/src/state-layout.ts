/**
 * World-state layout. The simple key `<key>` holds the latest record of an item; everything
 * else lives under composite keys (`\u0000<type>\u0000<attr>\u0000…`), which Fabric keeps apart
 * from simple keys, so range queries over item keys never see index entries.
 */

/** Composite key object types used by the contract. */
export const INDEX = {
    /** (recordId) -> record JSON: a `set` transaction's record (and batch items written before `batch`). */
    record: 'record',
    /**
     * (txId) -> JSON array of the records of one `setMany` transaction, in order (ids `<txId>.<n>`).
     * One write instead of one per record: a chaincode's state calls are its main cost on Fabric.
     */
    batch: 'batch',
    /** (dependencyId, childId) -> INDEX_VALUE: reverse lineage. */
    dependent: 'dependent',
    /**
     * (creatorId, timestamp, recordId) -> INDEX_VALUE: records by submitter, oldest first. A
     * setMany transaction has one entry (creatorId, timestamp, txId) -> `{"batch":<count>}` for
     * its records `<txId>.0…`, since one submitter writes them all at one time.
     */
    creator: 'creator',
    /** (sha256 hex, recordId) -> INDEX_VALUE: which records hold these bytes. */
    checksum: 'checksum',
    /** (runId, timestamp, recordId) -> INDEX_VALUE: the checkpoints of a training run, oldest first. */
    run: 'run',
    /** (runId) -> RunSummary JSON: one entry per run, updated by every record of the run. */
    runSummary: 'run-summary',
} as const;

/**
 * Value stored under index entries. Fabric treats an empty value as a delete, so index entries
 * need some content; the key already carries all the information.
 */
export const INDEX_VALUE = '1';
