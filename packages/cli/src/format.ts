/** Human-readable rendering of records and pages for the CLI (JSON output never goes through here). */
import type { Page, ProvenanceRecord } from '@hyperprov/chaincode/protocol';

/** Bytes in binary units, e.g. `94.3 MiB (98876543 bytes)`. */
export function formatSize(bytes: number): string {
    return bytes < 1024 ? `${bytes} B` : `${formatSizeShort(bytes)} (${bytes} bytes)`;
}

/** `94.0 MiB`: one decimal in the largest binary unit, for progress lines. */
export function formatSizeShort(bytes: number): string {
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    if (bytes < 1024) return `${Math.round(bytes)} B`;
    let value = bytes;
    let unit = 'B';
    for (const next of units) {
        if (value < 1024) break;
        value /= 1024;
        unit = next;
    }
    return `${value.toFixed(1)} ${unit}`;
}

/** A record as aligned `field  value` lines, id first. */
export function formatRecord(record: ProvenanceRecord): string {
    const rows: [string, string][] = [
        ['id', record.id],
        ['key', record.key],
        ['checksum', record.checksum],
        ['size', formatSize(record.size)],
        ['location', record.location],
        ['pointer', record.pointer],
        ['type', record.type],
        ['creator', `${record.creator.mspId} ${record.creator.id}`],
        ['timestamp', record.timestamp],
        ['dependencies', record.dependencies.length === 0 ? '(none)' : record.dependencies.join('\n' + ' '.repeat(14))],
        ['meta', Object.keys(record.meta).length === 0 ? '{}' : JSON.stringify(record.meta)],
    ];
    return rows.map(([field, value]) => `${field.padEnd(13)} ${value}`).join('\n');
}

/** One line per record: id, key, short checksum, size, timestamp. */
export function formatRecordLine(record: ProvenanceRecord): string {
    return `${record.id}  ${record.key}  ${record.checksum.slice(0, 19)}…  ${record.size} B  ${record.timestamp}`;
}

/** A page as record lines plus the bookmark to pass for the next page. */
export function formatPage(page: Page<ProvenanceRecord>, nextCommand: (bookmark: string) => string): string {
    const lines = page.items.map(formatRecordLine);
    if (page.items.length === 0) lines.push('(no records)');
    if (page.bookmark) lines.push(`more: ${nextCommand(page.bookmark)}`);
    return lines.join('\n');
}

/** Quotes a shell argument for copy-paste hints. */
export function shellQuote(value: string): string {
    return /^[A-Za-z0-9_./:@%+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
