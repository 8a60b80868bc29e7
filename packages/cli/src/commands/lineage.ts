import type { CommandSpec } from '../command-spec.js';
import { LIMITS } from '@hyperprov/chaincode/protocol';
import { parseIntegerArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';

interface LineageArgs extends GlobalArgs {
    id: string;
    depth?: string;
    down: boolean;
    format: 'tree' | 'dot';
}

/** `hyperprov lineage <id> [--depth N] [--down] [--format tree|dot]`. */
export function lineageCommand(ctx: CliContext): CommandSpec<LineageArgs> {
    return {
        command: 'lineage <id>',
        describe: 'Show what a record was made from (or, with --down, what was made from it)',
        positionals: [{ name: 'id', demandOption: true, describe: 'record id (or key: its latest version)' }],
        options: {
            depth: { type: 'string', describe: `levels to follow, 0-${LIMITS.depth} (default: all)` },
            down: { type: 'boolean', default: false, describe: 'follow dependents instead of dependencies' },
            format: { choices: ['tree', 'dot'] as const, default: 'tree' as const, describe: 'human output: tree or Graphviz dot' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const depth = parseIntegerArg(argv.depth, '--depth', 0, LIMITS.depth);
                const direction = argv.down ? 'down' : 'up';
                const lineage = await withTracker(ctx, argv, async (tracker) => {
                    const root = await tracker.resolve(String(argv.id));
                    return tracker.lineage(root.id, { direction, ...(depth !== undefined && { depth }) });
                });
                const { renderLineageDot, renderLineageTree } = await import('@hyperprov/tracker');
                out.result(lineage, () => (argv.format === 'dot' ? renderLineageDot(lineage, direction) : renderLineageTree(lineage, direction)));
            }),
    };
}
