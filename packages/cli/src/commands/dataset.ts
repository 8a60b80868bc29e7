import type { CommandSpec } from '../command-spec.js';
import type { RecordType } from '@hyperprov/chaincode/protocol';
import { parseDepArgs, parseMetaArg, runCommand, withTracker, type CliContext, type GlobalArgs, localPath } from '../context.js';
import { formatRecord, formatSize } from '../format.js';

interface DatasetArgs extends GlobalArgs {
    /** The `<dir>` positional; `dir` is the global --dir (the project). */
    directory: string;
    key: string;
    upload: boolean;
    dep: string[];
    meta?: string;
    type: RecordType;
    include: string[];
    exclude: string[];
}

/** `hyperprov dataset <dir> --key K [--upload] …`: records a directory as a manifest. */
export function datasetCommand(ctx: CliContext): CommandSpec<DatasetArgs> {
    return {
        command: 'dataset <dir>',
        describe: 'Record a directory as a dataset manifest (sorted path, size, SHA-256); --upload stores the files too. Records nothing if unchanged',
        positionals: [{ name: 'dir', key: 'directory', demandOption: true, describe: 'dataset directory' }],
        options: {
            key: { type: 'string', demandOption: true, describe: 'item name, e.g. datasets/idenprof/train' },
            upload: { type: 'boolean', default: false, describe: 'also store every file (default: only the manifest)' },
            dep: { type: 'string', array: true, default: [], describe: 'record id (or key) it was made from; repeatable' },
            meta: { type: 'string', describe: 'JSON object of custom metadata, or @file.json, or @- for stdin' },
            type: { choices: ['record', 'transformation'] as const, default: 'record' as const },
            include: { type: 'string', array: true, default: [], describe: 'glob of files to take (default all); repeatable' },
            exclude: { type: 'string', array: true, default: [], describe: 'glob of files to leave out; repeatable' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const meta = await parseMetaArg(ctx, argv.meta);
                const result = await withTracker(ctx, argv, (tracker) =>
                    tracker.recordDataset(localPath(ctx, String(argv.directory)), {
                        key: argv.key,
                        upload: argv.upload,
                        dependencies: parseDepArgs(argv.dep),
                        type: argv.type,
                        signal: ctx.signal,
                        ...(meta !== undefined && { meta }),
                        ...(argv.include.length > 0 && { include: argv.include.map(String) }),
                        ...(argv.exclude.length > 0 && { exclude: argv.exclude.map(String) }),
                    }),
                    // Many files: a hash thread per core.
                    {},
                );
                out.result(result, () => {
                    const lines = [formatRecord(result.record), ''];
                    lines.push(`${result.count} files, ${formatSize(result.totalSize)}`);
                    if (result.changes) {
                        const c = result.changes;
                        lines.push(`since the previous version: ${c.added} added, ${c.removed} removed, ${c.modified} modified, ${c.unchanged} unchanged`);
                    }
                    if (result.upload) lines.push(`uploaded ${result.upload.transferred} files (${formatSize(result.upload.bytes)}); ${result.upload.skipped} already stored`);
                    if (result.skipped.length > 0) lines.push(`left out ${result.skipped.length} special files: ${result.skipped.slice(0, 5).join(', ')}${result.skipped.length > 5 ? ', …' : ''}`);
                    lines.push(result.status === 'unchanged' ? 'unchanged since the latest version: nothing recorded' : 'recorded');
                    return lines.join('\n');
                });
            }),
    };
}
