/**
 * Canonical JSON: object keys sorted recursively, no whitespace. Every endorser must produce
 * byte-identical state and results, and JSON.stringify follows insertion order, which differs
 * for objects rebuilt from parsed input.
 */
export function canonicalJson(value: unknown): string {
    return serialize(value);
}

function serialize(value: unknown): string {
    if (value === null) return 'null';
    switch (typeof value) {
        case 'string':
            return JSON.stringify(value);
        case 'boolean':
            return value ? 'true' : 'false';
        case 'number':
            if (!Number.isFinite(value)) throw new TypeError('canonical JSON cannot hold NaN or Infinity');
            return JSON.stringify(value);
        case 'object': {
            if (Array.isArray(value)) return `[${value.map((v) => serialize(v === undefined ? null : v)).join(',')}]`;
            const obj = value as Record<string, unknown>;
            const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
            return `{${keys.map((k) => `${JSON.stringify(k)}:${serialize(obj[k])}`).join(',')}}`;
        }
        default:
            throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
    }
}
