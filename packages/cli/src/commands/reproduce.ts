import type { CommandSpec } from '../command-spec.js';
import { TrackerError } from '@hyperprov/errors';
import type { ReproduceTarget } from '@hyperprov/tracker';
import { parseIntegerArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';

interface ReproduceArgs extends GlobalArgs {
    first: string;
    second?: string;
    run?: string;
    epoch?: string;
}

/** `hyperprov reproduce <model-id|key> <dir>` or `hyperprov reproduce --run R [--epoch E] <dir>`. */
export function reproduceCommand(ctx: CliContext): CommandSpec<ReproduceArgs> {
    return {
        command: 'reproduce <model> [dir]',
        describe: "Fetch a model with its dataset manifests and stored dataset files into a new directory, every byte checked, with reproduce.json and SUMMARY.md (all or nothing); with --run: the run's last checkpoint, or that of --epoch",
        positionals: [
            { name: 'model', key: 'first', demandOption: true, describe: 'record id or key of the model (with --run: the output directory)' },
            { name: 'dir', key: 'second', describe: 'output directory (new or empty)' },
        ],
        options: {
            run: { type: 'string', describe: 'take the checkpoint of this run (`hyperprov runs` lists them)' },
            epoch: { type: 'string', describe: "with --run: the checkpoint of this epoch (default the run's last)" },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                let target: ReproduceTarget;
                let dir: string;
                if (argv.run !== undefined) {
                    if (argv.second !== undefined) throw new TrackerError('INVALID_ARGUMENT', 'with --run give only the output directory: hyperprov reproduce --run R [--epoch E] <dir>');
                    const epoch = parseIntegerArg(argv.epoch, '--epoch', 0, Number.MAX_SAFE_INTEGER);
                    target = { run: argv.run, ...(epoch !== undefined && { epoch }) };
                    dir = argv.first;
                } else {
                    if (argv.epoch !== undefined) throw new TrackerError('INVALID_ARGUMENT', '--epoch needs --run; to reproduce one record, give its id');
                    if (argv.second === undefined) throw new TrackerError('INVALID_ARGUMENT', 'give the output directory: hyperprov reproduce <model> <dir>');
                    target = { id: argv.first };
                    dir = argv.second;
                }
                const { resolve } = await import('node:path');
                const report = await withTracker(ctx, argv, (tracker) => tracker.reproduce(target, resolve(ctx.cwd, dir), { signal: ctx.signal }), { hashThreads: 2 });
                out.result(report, () =>
                    [
                        `reproduced ${report.model.key} (record ${report.model.id}) into ${report.dir}`,
                        ...(report.run !== undefined ? [`run ${report.run}${report.epoch !== undefined ? ` epoch ${report.epoch}` : ''}`] : []),
                        ...report.datasets.map((d) => (d.dir ? `dataset ${d.name}: ${d.files} files in ${d.dir}/` : `dataset ${d.name}: not stored; check a copy with \`${d.check}\``)),
                        `checked ${report.verified.files} files, ${report.verified.bytes} bytes; see SUMMARY.md and reproduce.json`,
                    ].join('\n'),
                );
            }),
    };
}
