import type { CommandSpec } from '../command-spec.js';
import type { RecordDiff, ValueDiff } from '@hyperprov/tracker';
import { runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';

interface DiffArgs extends GlobalArgs {
    a: string;
    b: string;
}

/** `hyperprov diff <a> <b>`: what changed between two records (usually two checkpoints). */
export function diffCommand(ctx: CliContext): CommandSpec<DiffArgs> {
    return {
        command: 'diff <a> <b>',
        describe: 'Compare two records (ids or keys): bytes, dataset files added/removed/changed, params, metrics, code revision, lineage',
        positionals: [
            { name: 'a', demandOption: true, describe: 'record id or key (before)' },
            { name: 'b', demandOption: true, describe: 'record id or key (after)' },
        ],
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const diff = await withTracker(ctx, argv, (tracker) => tracker.diff(argv.a, argv.b, { signal: ctx.signal }));
                out.result(diff, () => formatDiff(diff));
            }),
    };
}

function formatDiff(diff: RecordDiff): string {
    const lines = [`a ${diff.a.id}  ${diff.a.key}  ${diff.a.timestamp}`, `b ${diff.b.id}  ${diff.b.key}  ${diff.b.timestamp}`];
    lines.push(diff.sameBytes ? 'bytes: identical' : `bytes: ${diff.a.checksum.slice(0, 19)}… (${diff.a.size} B) -> ${diff.b.checksum.slice(0, 19)}… (${diff.b.size} B)`);
    for (const d of diff.datasets) {
        if (d.status !== 'changed' || !d.files) {
            lines.push(`dataset ${d.name}: ${d.status}`);
            continue;
        }
        const c = d.files.counts;
        lines.push(`dataset ${d.name}: changed (${c.added} added, ${c.removed} removed, ${c.modified} modified, ${c.unchanged} unchanged)`);
        for (const file of d.files.added) lines.push(`  + ${file}`);
        for (const file of d.files.removed) lines.push(`  - ${file}`);
        for (const file of d.files.modified) lines.push(`  ~ ${file}`);
    }
    lines.push(...valueLines('params', diff.params), ...valueLines('metrics', diff.metrics));
    lines.push(diff.code.same ? `code: same${diff.code.a !== undefined ? ` ${JSON.stringify(diff.code.a)}` : ''}` : `code: ${JSON.stringify(diff.code.a ?? null)} -> ${JSON.stringify(diff.code.b ?? null)}`);
    lines.push(`lineage: ${diff.lineage.shared} shared, ${diff.lineage.onlyA.length} only in a, ${diff.lineage.onlyB.length} only in b`);
    for (const id of diff.lineage.onlyA) lines.push(`  a only: ${id}`);
    for (const id of diff.lineage.onlyB) lines.push(`  b only: ${id}`);
    return lines.join('\n');
}

function valueLines(name: string, diff: ValueDiff): string[] {
    const lines: string[] = [];
    for (const [field, change] of Object.entries(diff.changed)) lines.push(`  ${field}: ${JSON.stringify(change.a)} -> ${JSON.stringify(change.b)}`);
    for (const [field, value] of Object.entries(diff.added)) lines.push(`  + ${field}: ${JSON.stringify(value)}`);
    for (const [field, value] of Object.entries(diff.removed)) lines.push(`  - ${field}: ${JSON.stringify(value)}`);
    return lines.length === 0 ? [`${name}: same`] : [`${name}:`, ...lines];
}
