import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandSpec } from '../command-spec.js';
import type { RecordType } from '@hyperprov/chaincode/protocol';
import { parseDepArgs, parseMetaArg, runCommand, withTracker, type CliContext, type GlobalArgs, localPath } from '../context.js';
import { formatRecord } from '../format.js';
import { progressBar } from '../progress-bar.js';

interface RecordArgs extends GlobalArgs {
    file: string;
    key: string;
    dep: string[];
    meta?: string;
    type: RecordType;
    store?: string;
    sshfsRemote?: string;
}

/** `hyperprov record <file> --key K [--dep ID]… [--meta JSON] [--type …]`. */
export function recordCommand(ctx: CliContext): CommandSpec<RecordArgs> {
    return {
        command: 'record <file>',
        describe: 'Store a file in the configured store (hashing it on the way) and record it on the ledger',
        positionals: [{ name: 'file', demandOption: true, describe: 'file to record' }],
        options: {
            key: { type: 'string', demandOption: true, describe: 'item name, e.g. models/resnet50' },
            dep: { type: 'string', array: true, default: [], describe: 'record id (or key) it was made from; repeatable' },
            meta: { type: 'string', describe: 'JSON object of custom metadata, or @file.json, or @- for stdin' },
            type: { choices: ['record', 'transformation'] as const, default: 'record' as const },
            store: { type: 'string', describe: 'store URL for this file instead of the configured store (file:///…, s3://…, sshfs:///…)' },
            'sshfs-remote': { type: 'string', describe: 'user@host:/path to mount on the sshfs:// mountpoint of --store' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const meta = await parseMetaArg(ctx, argv.meta);
                // Loaded here, not at start-up: store URLs need the tracker's store table.
                const { storeUrlFromOptions } = await import('../store-option.js');
                const store = storeUrlFromOptions(argv.store, argv.sshfsRemote, ctx.cwd);
                const progress = !argv.json && ctx.interactive ? progressBar(ctx, await fileSize(path.resolve(ctx.cwd, argv.file))) : undefined;
                const result = await withTracker(ctx, argv, (tracker) =>
                    tracker.record(localPath(ctx, argv.file), {
                        key: argv.key,
                        dependencies: parseDepArgs(argv.dep),
                        type: argv.type,
                        signal: ctx.signal,
                        ...(store !== undefined && { store }),
                        ...(meta !== undefined && { meta }),
                        ...(progress && { onProgress: progress.update }),
                    }),
                ).finally(() => progress?.clear());
                const how = result.repaired
                    ? 'stored and recorded (replaced a damaged copy of these bytes in the store)'
                    : result.uploaded
                      ? 'stored and recorded'
                      : 'recorded (the store already held these bytes)';
                out.result(result.record, () => `${formatRecord(result.record)}\n${how} in block ${result.blockNumber}`);
            }),
    };
}

/** Size of the file, or undefined if it cannot be read (the record itself reports why). */
async function fileSize(file: string): Promise<number | undefined> {
    try {
        return (await stat(file)).size;
    } catch {
        return undefined;
    }
}
