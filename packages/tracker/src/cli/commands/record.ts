import type { Argv, CommandModule } from 'yargs';
import type { RecordType } from '@hyperprov/chaincode';
import { parseMetaArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatRecord, formatSize } from '../format.js';

interface RecordArgs extends GlobalArgs {
    file: string;
    key: string;
    dep: string[];
    meta?: string;
    type: RecordType;
}

/** `hyperprov record <file> --key K [--dep ID]… [--meta JSON] [--type …]`. */
export function recordCommand(ctx: CliContext): CommandModule<GlobalArgs, RecordArgs> {
    return {
        command: 'record <file>',
        describe: 'Store a file in the configured store (hashing it on the way) and record it on the ledger',
        builder: (y: Argv<GlobalArgs>) =>
            y
                .positional('file', { type: 'string', demandOption: true, describe: 'file to record' })
                .option('key', { type: 'string', demandOption: true, describe: 'item name, e.g. models/resnet50' })
                .option('dep', { type: 'string', array: true, default: [], describe: 'record id (or key) it was made from; repeatable' })
                .option('meta', { type: 'string', describe: 'JSON object of custom metadata, or @file.json, or @- for stdin' })
                .option('type', { choices: ['record', 'transformation'] as const, default: 'record' as const }) as unknown as Argv<RecordArgs>,
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const meta = await parseMetaArg(ctx, argv.meta);
                const progress = !argv.json && process.stderr.isTTY ? progressLine(ctx) : undefined;
                const result = await withTracker(ctx, argv, (tracker) =>
                    tracker.record(argv.file, {
                        key: argv.key,
                        dependencies: argv.dep.map(String),
                        type: argv.type,
                        signal: ctx.signal,
                        ...(meta !== undefined && { meta }),
                        ...(progress && { onProgress: progress.update }),
                    }),
                ).finally(() => progress?.clear());
                out.result(result.record, () => `${formatRecord(result.record)}\n${result.uploaded ? 'stored and recorded' : 'recorded (the store already held these bytes)'} in block ${result.blockNumber}`);
            }),
    };
}

/** A progress line on the terminal, redrawn at most every 200 ms, erased when done. */
function progressLine(ctx: CliContext): { update: (bytes: number) => void; clear: () => void } {
    let last = 0;
    let shown = false;
    return {
        update: (bytes) => {
            const now = Date.now();
            if (now - last < 200) return;
            last = now;
            shown = true;
            ctx.io.stderr(`\rstored ${formatSize(bytes)}\u001b[K`);
        },
        clear: () => {
            if (shown) ctx.io.stderr('\r\u001b[K');
        },
    };
}
