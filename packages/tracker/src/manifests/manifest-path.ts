/**
 * Rules for entry paths. A manifest path is later joined to a directory (verify --against, fetch
 * of a dataset), so a path that is absolute or climbs with `..` would read or write outside it:
 * such paths are refused both when scanning and when parsing a manifest someone else wrote.
 */

/** Why `path` is not a valid manifest entry path, or undefined when it is valid. */
export function entryPathProblem(path: unknown): string | undefined {
    if (typeof path !== 'string' || path.length === 0) return 'is empty or not a string';
    if (path.includes('\0')) return 'contains a NUL character';
    if (path.startsWith('/')) return 'is absolute (paths are relative to the dataset root)';
    // A lone surrogate has no UTF-8 encoding: no file can be named by it.
    if (/\p{Cs}/u.test(path)) return 'holds a lone UTF-16 surrogate, which has no UTF-8 form';
    for (const segment of path.split('/')) {
        if (segment === '') return 'has an empty segment (double or trailing slash)';
        if (segment === '.' || segment === '..') return `has a "${segment}" segment`;
    }
    return undefined;
}
