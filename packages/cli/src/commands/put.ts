import type { CommandSpec } from '../command-spec.js';
import type { RecordType } from '@hyperprov/chaincode/protocol';
import { parseDepArgs, parseIntegerArg, parseMetaArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatRecord } from '../format.js';

interface PutArgs extends GlobalArgs {
    key: string;
    checksum: string;
    location: string;
    pointer: string;
    size?: string;
    dep: string[];
    meta?: string;
    type: RecordType;
}

/** `hyperprov put --key K --checksum sha256:… --location L --pointer P [--size N] …`: metadata only. */
export function putCommand(ctx: CliContext): CommandSpec<PutArgs> {
    return {
        command: 'put',
        describe: 'Record metadata of bytes stored elsewhere (nothing is uploaded)',
        options: {
            key: { type: 'string', demandOption: true, describe: 'item name' },
            checksum: { type: 'string', demandOption: true, describe: 'sha256:<64 lowercase hex> of the bytes' },
            location: { type: 'string', demandOption: true, describe: 'store URL where the bytes are' },
            pointer: { type: 'string', demandOption: true, describe: 'object name inside the location' },
            size: { type: 'string', describe: 'size in bytes (default: read from the store at --location)' },
            dep: { type: 'string', array: true, default: [], describe: 'record id (or key) it was made from; repeatable' },
            meta: { type: 'string', describe: 'JSON object of custom metadata, or @file.json, or @- for stdin' },
            type: { choices: ['record', 'transformation'] as const, default: 'record' as const },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const meta = await parseMetaArg(ctx, argv.meta);
                const size = parseIntegerArg(argv.size, '--size', 0, Number.MAX_SAFE_INTEGER);
                const result = await withTracker(ctx, argv, (tracker) =>
                    tracker.put({
                        key: argv.key,
                        checksum: argv.checksum,
                        location: argv.location,
                        pointer: argv.pointer,
                        ...(size !== undefined && { size }),
                        type: argv.type,
                        dependencies: parseDepArgs(argv.dep),
                        ...(meta !== undefined && { meta }),
                    }),
                );
                out.result(result.record, () => `${formatRecord(result.record)}\nrecorded in block ${result.blockNumber}`);
            }),
    };
}
