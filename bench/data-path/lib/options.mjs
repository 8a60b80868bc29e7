// Command-line flags (each also settable as HP_BENCH_<FLAG> in the environment, e.g.
// HP_BENCH_FILES=20). The defaults reproduce the figures of issue #3; --quick shrinks every size
// and count so a run takes a few minutes on a busy machine.
import { parseArgs } from 'node:util';

const DEFAULTS = {
    'checkpoint-mb': '94', // one checkpoint, decimal MB as in the HyperProv paper (94 MB model)
    rounds: '5', // rounds of the one-checkpoint figures (median reported)
    'big-mib': '1024', // the "1 GB" file of the overlap figure
    'big-rounds': '3',
    files: '100', // checkpoints of the batch figure
    concurrency: '2', // files in flight in the batch figure (HyperProv and the plain baselines alike)
    'rss-mib': '2048', // the "2 GB" file of the peak-RSS figure
    sections: 'single,overlap,batch,rss',
    stores: 'local,sshfs,s3',
};

const QUICK = {
    rounds: '3',
    'big-mib': '256',
    'big-rounds': '2',
    files: '10',
    'rss-mib': '512',
};

/** Parsed, typed options. */
export function readOptions(argv = process.argv.slice(2), env = process.env) {
    const { values } = parseArgs({
        args: argv,
        options: {
            quick: { type: 'boolean', default: false },
            dvc: { type: 'boolean', default: true },
            'dvc-ssh': { type: 'boolean', default: false },
            json: { type: 'string' },
            help: { type: 'boolean', default: false },
            ...Object.fromEntries(Object.keys(DEFAULTS).map((name) => [name, { type: 'string' }])),
        },
        allowNegative: true,
    });
    if (values.help) {
        console.log(HELP);
        process.exit(0);
    }
    const quick = values.quick || env.HP_BENCH_QUICK === '1';
    const pick = (name) => values[name] ?? env[`HP_BENCH_${name.toUpperCase().replaceAll('-', '_')}`] ?? (quick ? QUICK[name] : undefined) ?? DEFAULTS[name];
    const number = (name) => {
        const value = Number(pick(name));
        if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${pick(name)}`);
        return value;
    };
    const MiB = 2 ** 20;
    return {
        quick,
        checkpointBytes: Math.round(number('checkpoint-mb') * 1e6),
        rounds: Math.round(number('rounds')),
        bigBytes: Math.round(number('big-mib') * MiB),
        bigRounds: Math.round(number('big-rounds')),
        files: Math.round(number('files')),
        concurrency: Math.round(number('concurrency')),
        rssBytes: Math.round(number('rss-mib') * MiB),
        sections: new Set(pick('sections').split(',').map((s) => s.trim())),
        stores: new Set(pick('stores').split(',').map((s) => s.trim())),
        dvc: values.dvc && env.HP_BENCH_DVC !== '0',
        dvcSsh: values['dvc-ssh'] || env.HP_BENCH_DVC_SSH === '1',
        json: values.json ?? env.HP_BENCH_JSON,
    };
}

const HELP = `node bench/data-path/run.mjs [flags]
  --quick                 small sizes: 3 rounds, 256 MiB overlap file, 10 batch files, 512 MiB RSS file
  --checkpoint-mb 94      size of one checkpoint (decimal MB)
  --rounds 5              rounds of the one-checkpoint figures (median)
  --big-mib 1024          file of the overlap figure;  --big-rounds 3
  --files 100             checkpoints in the batch figure;  --concurrency 2 files in flight
  --rss-mib 2048          file of the peak-RSS figure
  --sections single,overlap,batch,rss   --stores local,sshfs,s3
  --no-dvc                skip DVC in the batch figure;  --dvc-ssh  also push with dvc-ssh to the sshd
  --json FILE             where to write the results (default bench/results/data-path-<time>.json)
Every flag can also be given as HP_BENCH_<FLAG> (e.g. HP_BENCH_FILES=10, HP_BENCH_QUICK=1).`;
