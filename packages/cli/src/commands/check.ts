import type { CommandSpec } from '../command-spec.js';
import { runCommand, withTracker, type CliContext, type GlobalArgs, localPath } from '../context.js';
import { EXIT_CODES } from '@hyperprov/errors';
import { formatRecordLine, formatSize } from '../format.js';

interface CheckArgs extends GlobalArgs {
    file: string;
    key?: string;
}

/** `hyperprov check <file> [--key K]`: is this file's content recorded (as K's latest version)? */
export function checkCommand(ctx: CliContext): CommandSpec<CheckArgs> {
    return {
        command: 'check <file>',
        describe: 'Hash a local file and list the records of exactly these bytes (exit 3 if no record holds these bytes); with --key, also check they are that key\'s latest version (exit 5 if recorded but not the latest)',
        positionals: [{ name: 'file', demandOption: true, describe: 'file to check' }],
        options: {
            key: { type: 'string', describe: 'key whose latest version the file should be' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const result = await withTracker(ctx, argv, (tracker) =>
                    tracker.check(localPath(ctx, String(argv.file)), { signal: ctx.signal, ...(argv.key !== undefined && { key: argv.key }) }),
                );
                out.result(result, () => {
                    const lines = [`${result.file}  ${result.checksum}  ${formatSize(result.size)}`];
                    if (result.records.length === 0) lines.push('no record holds these bytes');
                    else lines.push(`recorded ${result.records.length} time(s):`, ...result.records.map((r) => `  ${formatRecordLine(r)}`));
                    if (result.key) {
                        lines.push(
                            result.key.match
                                ? `it is the latest version of ${result.key.key} (record ${result.key.id})`
                                : `it is NOT the latest version of ${result.key.key}: that is ${result.key.recorded} (record ${result.key.id})`,
                        );
                    }
                    return lines.join('\n');
                });
                // Never recorded is NOT_FOUND whatever --key says (the exit code table: 3 = no such
                // object); CHECKSUM_MISMATCH is for recorded bytes that are not the key's latest.
                if (result.records.length === 0) return EXIT_CODES.NOT_FOUND;
                return result.key && !result.key.match ? EXIT_CODES.CHECKSUM_MISMATCH : 0;
            }),
    };
}
