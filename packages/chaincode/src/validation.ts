/**
 * Input validation shared by the contract and by clients that want to pre-check input before
 * paying for a transaction. Every check throws a ContractError whose message says what to do.
 */
import { canonicalJson } from './canonical-json';
import { ContractError } from './errors';
import { LIMITS, RECORD_TYPES, type JsonValue, type RecordInput, type RecordType } from './record';

/** A checksum as recorded: `sha256:` and 64 lowercase hex digits. */
export const CHECKSUM_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** A reference to an earlier item of the same `setMany` batch: `$0`, `$1`, … */
export const BATCH_REF_PATTERN = /^\$(0|[1-9][0-9]{0,8})$/;

/** Longest record id accepted as an argument (Fabric tx ids are 64 hex digits, plus `.<n>`). */
export const ID_MAX_BYTES = 256;

/** Deepest nesting accepted in `meta`; deeper structures risk stack exhaustion on every peer. */
export const META_MAX_DEPTH = 64;

/** Fields a client may send; everything else (id, creator, timestamp, schema, …) is refused. */
export const RECORD_INPUT_FIELDS: readonly (keyof RecordInput)[] = [
    'key',
    'checksum',
    'size',
    'location',
    'pointer',
    'type',
    'meta',
    'dependencies',
];

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
// Fabric keys and values must be valid UTF-8; a lone surrogate cannot be encoded.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Characters that make two different keys look the same, or a key look like something else:
 * invisible format characters (bidi overrides and marks, zero-width spaces and joiners, BOM, soft
 * hyphen, variation selectors, …), line and paragraph separators, and U+FFFD, which stands for
 * bytes that were not valid UTF-8 (a decoder turns every such name into the same key).
 */
const LOOK_ALIKE_CHARS = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}\uFFFD]/u;

/**
 * The form a key is stored and looked up in: Unicode NFC, so a name typed as "é" (one code point)
 * and as "e" + combining accent (macOS file names, some keyboards) is one key, not two.
 * NFC is stable across Unicode versions for assigned characters, so every peer computes the same.
 */
export function normalizeKey(key: string): string {
    return key.normalize('NFC');
}

/** UTF-8 length of `text`, counted without Node's Buffer so the protocol runs in a browser too. */
function utf8Bytes(text: string): number {
    let bytes = 0;
    for (let i = 0; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        if (unit < 0x80) bytes += 1;
        else if (unit < 0x800) bytes += 2;
        else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
            bytes += 4;
            i++;
        } else bytes += 3; // a lone surrogate is encoded as U+FFFD, 3 bytes, as Buffer.byteLength counts it
    }
    return bytes;
}

function invalid(message: string): never {
    throw new ContractError('INVALID_ARGUMENT', message);
}

/**
 * Describes why `key` is not a valid record key, or returns undefined when it is valid. The key
 * is judged in its stored form ({@link normalizeKey}).
 */
export function keyProblem(given: unknown): string | undefined {
    if (typeof given !== 'string') return `key must be a string, got ${describeType(given)}`;
    if (given.length === 0) return 'key is empty; give the item a name such as models/resnet50';
    if (LONE_SURROGATE.test(given)) return 'key is not valid Unicode (lone surrogate); use printable characters only';
    const key = normalizeKey(given);
    const bytes = utf8Bytes(key);
    if (bytes > LIMITS.keyBytes) return `key is ${bytes} bytes; the limit is ${LIMITS.keyBytes} — use a shorter name`;
    if (CONTROL_CHARS.test(key)) {
        return `key ${JSON.stringify(key)} contains a NUL or control character; use printable characters only`;
    }
    const lookAlike = LOOK_ALIKE_CHARS.exec(key);
    if (lookAlike) {
        const char = lookAlike[0];
        const what =
            char === '\uFFFD'
                ? 'the replacement character, which stands for bytes that were not valid UTF-8, so different names would become one key'
                : 'an invisible or direction-changing character, which makes different keys look the same';
        // The key is shown with such characters escaped: printed raw, it would spoof this very message.
        return `key ${JSON.stringify(escapeLookAlikes(key))} contains ${codePoint(char)} (${what}); write the name in plain, valid UTF-8`;
    }
    if (key.startsWith('/') || key.endsWith('/')) {
        return `key ${JSON.stringify(key)} starts or ends with '/'; write it as a relative path such as models/resnet50`;
    }
    for (const segment of key.split('/')) {
        if (segment === '') return `key ${JSON.stringify(key)} has an empty segment ('//'); remove the extra '/'`;
        if (segment === '.' || segment === '..') {
            return `key ${JSON.stringify(key)} has a '${segment}' segment; keys are names, not relative paths — remove it`;
        }
    }
    return undefined;
}

/** True when `key` is a valid record key. */
export function isValidKey(key: unknown): key is string {
    return keyProblem(key) === undefined;
}

/** Throws INVALID_ARGUMENT unless `key` is a valid record key. */
export function assertValidKey(key: unknown): asserts key is string {
    const problem = keyProblem(key);
    if (problem !== undefined) invalid(problem);
}

/** Throws INVALID_ARGUMENT unless `key` is a valid record key; returns its stored form. */
export function validKey(key: unknown): string {
    assertValidKey(key);
    return normalizeKey(key);
}

/** True when `checksum` has the form `sha256:<64 lowercase hex>`. */
export function isValidChecksum(checksum: unknown): checksum is string {
    return typeof checksum === 'string' && CHECKSUM_PATTERN.test(checksum);
}

/** Throws INVALID_ARGUMENT unless `checksum` has the form `sha256:<64 lowercase hex>`. */
export function assertValidChecksum(checksum: unknown, field = 'checksum'): asserts checksum is string {
    if (isValidChecksum(checksum)) return;
    const shown = typeof checksum === 'string' ? JSON.stringify(checksum.slice(0, 80)) : describeType(checksum);
    invalid(`${field} ${shown} is malformed; it must be 'sha256:' followed by 64 lowercase hex digits`);
}

/** Throws INVALID_ARGUMENT unless `id` looks like a record id (non-empty, bounded, printable). */
export function assertValidId(id: unknown, field = 'id'): asserts id is string {
    if (typeof id !== 'string' || id.length === 0) invalid(`${field} must be a non-empty record id string`);
    if (utf8Bytes(id) > ID_MAX_BYTES) invalid(`${field} is longer than ${ID_MAX_BYTES} bytes; it is not a record id`);
    if (CONTROL_CHARS.test(id) || LONE_SURROGATE.test(id)) {
        invalid(`${field} ${JSON.stringify(id)} contains control characters; it is not a record id`);
    }
}

/**
 * Validates one parsed RecordInput and returns a normalised copy (type and meta and dependencies
 * filled in). `batchIndex` is the item's position in a `setMany` batch; only then may
 * dependencies be written `$<n>` with n < batchIndex.
 */
export function validateRecordInput(value: unknown, batchIndex?: number): Required<RecordInput> {
    const where = batchIndex === undefined ? 'record' : `item ${batchIndex}`;
    const fail = (message: string): never => invalid(batchIndex === undefined ? message : `${where}: ${message}`);

    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(`input must be a JSON object with key, checksum, size, location, pointer; got ${describeType(value)}`);
    }
    const input = value as Record<string, unknown>;
    for (const field of Object.keys(input)) {
        if (!(RECORD_INPUT_FIELDS as readonly string[]).includes(field)) {
            fail(
                `unknown field '${field}'; allowed fields are ${RECORD_INPUT_FIELDS.join(', ')} ` +
                    '(id, creator, timestamp and schema are set by the contract) — remove it',
            );
        }
    }

    const keyIssue = keyProblem(input.key);
    if (keyIssue !== undefined) fail(keyIssue);
    const key = normalizeKey(input.key as string);

    if (!isValidChecksum(input.checksum)) {
        try {
            assertValidChecksum(input.checksum);
        } catch (error) {
            fail((error as ContractError).message.replace(/^\[[A-Z_]+\] /, ''));
        }
    }
    const checksum = input.checksum as string;

    const size = input.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        fail(`size must be a non-negative integer number of bytes (at most 2^53-1), got ${JSON.stringify(size) ?? describeType(size)}`);
    }

    const location = boundedText(input.location, 'location', fail, 'a store URL such as s3://bucket/prefix');
    const pointer = boundedText(input.pointer, 'pointer', fail, 'the object name inside location');

    const type = input.type ?? 'record';
    if (typeof type !== 'string' || !(RECORD_TYPES as readonly string[]).includes(type)) {
        fail(`type must be one of ${RECORD_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
    }

    const meta = input.meta ?? {};
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
        fail(`meta must be a JSON object (e.g. {"epoch": 3}), got ${describeType(meta)}`);
    }
    const depth = nestingDepth(meta);
    if (depth > META_MAX_DEPTH) {
        fail(`meta nests ${depth > 10_000 ? 'more than 10000' : depth} levels deep; the limit is ${META_MAX_DEPTH} — flatten it`);
    }
    const valueIssue = metaValueProblem(meta);
    if (valueIssue !== undefined) fail(valueIssue);
    const run = runProblem((meta as { run?: unknown }).run);
    if (run !== undefined) fail(run);
    const metaBytes = utf8Bytes(canonicalJson(meta));
    if (metaBytes > LIMITS.metaBytes) {
        fail(
            `meta is ${metaBytes} bytes; the limit is ${LIMITS.metaBytes} — ` +
                'store large metadata as a file and record it as a dependency',
        );
    }

    const dependencies = input.dependencies ?? [];
    if (!Array.isArray(dependencies)) fail(`dependencies must be an array of record ids, got ${describeType(dependencies)}`);
    const deps = dependencies as unknown[];
    if (deps.length > LIMITS.dependencies) {
        fail(`${deps.length} dependencies; the limit is ${LIMITS.dependencies} — depend on a manifest record instead`);
    }
    const seen = new Set<string>();
    deps.forEach((dep) => {
        try {
            assertValidId(dep, 'a dependency');
        } catch (error) {
            fail((error as ContractError).message.replace(/^\[[A-Z_]+\] /, ''));
        }
        const id = dep as string;
        if (id.startsWith('$')) {
            const ref = BATCH_REF_PATTERN.exec(id);
            if (batchIndex === undefined) {
                fail(`dependency '${id}' is a batch reference; '$<n>' only names an earlier item of the same batch`);
            }
            if (!ref || Number(ref[1]) >= (batchIndex as number)) {
                fail(`dependency '${id}' must be '$<n>' naming an earlier item of this batch (n < ${batchIndex})`);
            }
        }
        if (seen.has(id)) fail(`dependency '${id}' is listed twice; list each dependency once`);
        seen.add(id);
    });
    if (type === 'transformation' && deps.length === 0) {
        fail("type 'transformation' needs at least one dependency (the records it was derived from); use type 'record' for new bytes");
    }

    return {
        key,
        checksum,
        size: size as number,
        location,
        pointer,
        type: type as RecordType,
        meta: meta as { [key: string]: JsonValue },
        dependencies: deps as string[],
    };
}

/** Parses a JSON argument, translating syntax errors into INVALID_ARGUMENT. */
export function parseJsonArgument(text: string, name: string, expected: string): unknown {
    if (typeof text !== 'string' || text.length === 0) invalid(`${name} is empty; pass ${expected}`);
    try {
        return JSON.parse(text);
    } catch (error) {
        return invalid(`${name} is not valid JSON (${(error as Error).message}); pass ${expected}`);
    }
}

/** Parses a page size argument: empty means `fallback`, otherwise an integer 1..LIMITS.pageSize. */
export function parsePageSize(text: string, fallback = 100): number {
    if (text === '' || text === undefined) return fallback;
    const n = /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(n >= 1 && n <= LIMITS.pageSize)) {
        invalid(`pageSize ${JSON.stringify(text)} is invalid; give a whole number from 1 to ${LIMITS.pageSize}`);
    }
    return n;
}

/** Parses a lineage depth argument: empty means LIMITS.depth, otherwise an integer 0..LIMITS.depth. */
export function parseDepth(text: string): number {
    if (text === '' || text === undefined) return LIMITS.depth;
    const n = /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(n >= 0 && n <= LIMITS.depth)) {
        invalid(`depth ${JSON.stringify(text)} is invalid; give a whole number from 0 to ${LIMITS.depth} (empty = unlimited)`);
    }
    return n;
}

/** Validates a range bound or prefix: may be empty, must be printable and bounded. */
export function assertValidRangeKey(text: unknown, field: string): asserts text is string {
    if (typeof text !== 'string') invalid(`${field} must be a string`);
    if (utf8Bytes(text) > LIMITS.keyBytes) invalid(`${field} is longer than ${LIMITS.keyBytes} bytes`);
    if (CONTROL_CHARS.test(text) || LONE_SURROGATE.test(text)) {
        invalid(`${field} ${JSON.stringify(text)} contains control characters; keys never do`);
    }
}

function boundedText(value: unknown, field: string, fail: (m: string) => never, hint: string): string {
    if (typeof value !== 'string' || value.length === 0) fail(`${field} must be a non-empty string: ${hint}`);
    const text = value as string;
    const bytes = utf8Bytes(text);
    if (bytes > LIMITS.locationBytes) fail(`${field} is ${bytes} bytes; the limit is ${LIMITS.locationBytes}`);
    if (CONTROL_CHARS.test(text) || LONE_SURROGATE.test(text)) {
        fail(`${field} contains control characters or invalid Unicode; use printable characters only`);
    }
    return text;
}

/**
 * The first value in `meta` that would not be stored as given, described with its path. Meta is
 * stored as canonical JSON and read back as IEEE doubles: -0 would come back as 0, NaN and
 * Infinity have no JSON form, and from 2^53 on a double cannot tell a number from its neighbours
 * (9007199254740993 arrives as ...992), so such a value may already be someone's rounding. Called
 * after the depth check, so the walk is bounded.
 */
export function metaValueProblem(meta: unknown): string | undefined {
    const stack: [unknown, string][] = [[meta, 'meta']];
    while (stack.length > 0) {
        const [value, where] = stack.pop() as [unknown, string];
        switch (typeof value) {
            case 'number':
                if (!Number.isFinite(value)) return `${where} is ${value}, which JSON cannot hold; store it as a string`;
                if (Object.is(value, -0)) return `${where} is -0, which is stored as 0; write 0, or store "-0" as a string`;
                if (Math.abs(value) > Number.MAX_SAFE_INTEGER) {
                    return (
                        `${where} is ${value}, beyond ±(2^53−1) = ±${Number.MAX_SAFE_INTEGER}, where numbers cannot be ` +
                        `told from their neighbours; store it as a string such as "${value}"`
                    );
                }
                break;
            case 'string':
            case 'boolean':
            // Left out by canonical JSON, as by JSON.stringify.
            case 'undefined':
                break;
            case 'object':
                if (value === null) break;
                if (Array.isArray(value)) {
                    value.forEach((item, i) => stack.push([item, `${where}[${i}]`]));
                } else {
                    for (const [key, item] of Object.entries(value)) {
                        stack.push([item, /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`]);
                    }
                }
                break;
            default:
                return `${where} is a ${typeof value}, which JSON cannot hold; use a string, number, boolean, null, array or object`;
        }
    }
    return undefined;
}

/** Depth of nested objects/arrays, computed iteratively and capped so hostile input stays cheap. */
function nestingDepth(root: unknown): number {
    let max = 0;
    const stack: [unknown, number][] = [[root, 1]];
    while (stack.length > 0) {
        const [value, depth] = stack.pop() as [unknown, number];
        if (typeof value !== 'object' || value === null) continue;
        if (depth > max) max = depth;
        if (max > 10_000) return max;
        for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
    }
    return max;
}

/** `U+202E`: how a character is named in messages. */
function codePoint(char: string): string {
    return `U+${(char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
}

function escapeLookAlikes(text: string): string {
    return text.replace(new RegExp(LOOK_ALIKE_CHARS.source, 'gu'), (char) => `<${codePoint(char)}>`);
}

function describeType(value: unknown): string {
    if (value === null) return 'null';
    if (Array.isArray(value)) return 'an array';
    return typeof value === 'undefined' ? 'nothing' : `a ${typeof value}`;
}

/** Longest run id, in UTF-8 bytes. */
const RUN_ID_MAX_BYTES = 256;

/**
 * What is wrong with `meta.run`, if anything: it names a run in the runs index (a composite-key
 * attribute), so it must be short text without control characters. Absent means no run.
 */
export function runProblem(run: unknown): string | undefined {
    if (run === undefined) return undefined;
    if (typeof run !== 'string' || run.length === 0) return `meta.run must be a non-empty string naming the training run, got ${describeType(run)}`;
    if (utf8Bytes(run) > RUN_ID_MAX_BYTES) return `meta.run is longer than ${RUN_ID_MAX_BYTES} bytes; use a shorter run id`;
    if (CONTROL_CHARS.test(run) || LONE_SURROGATE.test(run)) return `meta.run ${JSON.stringify(run)} contains control characters; use letters, digits and punctuation`;
    return undefined;
}

/** Throws INVALID_ARGUMENT unless `run` is a valid run id. */
export function assertValidRunId(run: unknown): asserts run is string {
    const problem = runProblem(run);
    if (run === undefined) invalid('give a run id');
    if (problem !== undefined) invalid(problem.replace('meta.run', 'the run id'));
}
