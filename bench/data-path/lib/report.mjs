// Rows of figures: printed as they come (so a long run shows progress) and again as one table at
// the end, then written as JSON to bench/results/ (git-ignored).
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from './measure.mjs';

const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'results');

/**
 * One figure. `value` is HyperProv's number in `unit`; `baseline` (optional) the comparison run
 * in the same unit; `target` is checked against `ratio` when `targetOf` is 'ratio', else against
 * `value`. `higherIsBetter` flips the comparison (overlap efficiency, speed-up over DVC).
 */
function formatRow(row) {
    const fmt = (v, unit) => (v === undefined ? '' : `${typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(unit === 's' ? 3 : 2)) : v} ${unit}`.trim());
    const met = row.met === undefined ? '' : row.met ? 'met' : 'MISSED';
    return [
        row.figure.padEnd(58),
        fmt(row.value, row.unit).padStart(12),
        (row.baseline ? `${fmt(row.baseline.value, row.unit)} ${row.baseline.label}` : '').padEnd(40),
        (row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`).padStart(7),
        (row.target ?? '').padEnd(14),
        met.padEnd(7),
        `load ${row.load}`,
    ].join(' ');
}

export function createReport(options) {
    const rows = [];
    const started = new Date();
    return {
        rows,
        /** Adds a figure (see formatRow); computes `ratio` and `met` from the given fields. */
        add(row) {
            const full = { load: load(), ...row };
            if (full.ratio === undefined && full.baseline && full.baseline.value > 0 && full.ratioOf !== 'none') {
                full.ratio = full.higherIsBetter ? full.baseline.value / full.value : full.value / full.baseline.value;
            }
            if (full.limit !== undefined) {
                const x = full.targetOf === 'ratio' ? full.ratio : full.value;
                full.met = full.higherIsBetter ? x >= full.limit : x <= full.limit;
            }
            rows.push(full);
            console.log(formatRow(full));
            if (full.detail) console.log(`    ${full.detail}`);
            return full;
        },
        /** Prints the table and writes the JSON; returns the JSON path. */
        async finish(extra = {}) {
            console.log(`\n${'figure'.padEnd(58)} ${'HyperProv'.padStart(12)} ${'baseline (same run)'.padEnd(40)} ${'ratio'.padStart(7)} ${'target'.padEnd(14)} result`);
            for (const row of rows) {
                console.log(formatRow(row));
                if (row.detail) console.log(`    ${row.detail}`);
            }
            const file = options.json ?? path.join(RESULTS_DIR, `data-path-${started.toISOString().replace(/[:.]/g, '-')}.json`);
            await mkdir(path.dirname(file), { recursive: true });
            const document = {
                benchmark: 'data-path',
                command: `node bench/data-path/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
                started: started.toISOString(),
                finished: new Date().toISOString(),
                machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version },
                options: { ...options, sections: [...options.sections], stores: [...options.stores] },
                rows,
                ...extra,
            };
            await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
            console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
            return file;
        },
    };
}
