import type { CommandSpec } from '../command-spec.js';
import { LIMITS } from '@hyperprov/chaincode/protocol';
import type { ExportFormat } from '@hyperprov/tracker';
import { parseIntegerArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';

interface ExportArgs extends GlobalArgs {
    id: string;
    down: boolean;
    depth?: string;
    format: ExportFormat;
}

/** `hyperprov export <id> [--down] [--depth N] --format prov-json|dot|mermaid|openlineage`. */
export function exportCommand(ctx: CliContext): CommandSpec<ExportArgs> {
    return {
        command: 'export <id>',
        describe: 'Print the lineage of a record for other tools: W3C PROV-JSON, Graphviz DOT, Mermaid, or OpenLineage run events (one JSON per line)',
        positionals: [{ name: 'id', demandOption: true, describe: 'record id or key' }],
        options: {
            format: { choices: ['prov-json', 'dot', 'mermaid', 'openlineage'] as const, demandOption: true, describe: 'output format' },
            down: { type: 'boolean', default: false, describe: 'what was built from it (default: what it was made of)' },
            depth: { type: 'string', describe: `levels to follow, 0-${LIMITS.depth} (default all)` },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const depth = parseIntegerArg(argv.depth, '--depth', 0, LIMITS.depth);
                const result = await withTracker(ctx, argv, (tracker) =>
                    tracker.export(argv.id, { format: argv.format, direction: argv.down ? 'down' : 'up', ...(depth !== undefined && { depth }), signal: ctx.signal }),
                );
                // The export is the output; with --json it is wrapped in one document like every command's result.
                out.result({ format: result.format, contentType: result.contentType, text: result.text }, () => result.text.replace(/\n$/, ''));
            }),
    };
}
