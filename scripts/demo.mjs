#!/usr/bin/env node
/**
 * The main job on the embedded default ledger, end to end, through the real `hyperprov` CLI:
 * a small training run whose train/test datasets become manifests, whose per-epoch checkpoints are
 * recorded with dependencies on those manifests and on the previous checkpoint, and which is then
 * queried (lineage up and down, history), verified, and reproduced (fetch of run N's model).
 *
 * Usage: node scripts/demo.mjs [--dir <project dir>] [--epochs N] [--checkpoint-mb M]
 * The project directory is kept so you can explore it afterwards with the commands printed at the end.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HYPERPROV_BIN } from '@hyperprov/cli';

const cli = HYPERPROV_BIN;
const { values } = parseArgs({
    options: {
        dir: { type: 'string' },
        epochs: { type: 'string', default: '3' },
        'checkpoint-mb': { type: 'string', default: '24' },
    },
});
const epochs = Number(values.epochs);
const checkpointBytes = Number(values['checkpoint-mb']) * 1024 * 1024;
if (!existsSync(cli)) fail(`${cli} is missing: run \`npm run build\` first (npm run demo does it).`);
if (!Number.isInteger(epochs) || epochs < 1) fail('--epochs must be a positive integer');
if (!Number.isFinite(checkpointBytes) || checkpointBytes < 1) fail('--checkpoint-mb must be positive');

const dir = resolve(values.dir ?? mkdtempSync(join(tmpdir(), 'hyperprov-demo-')));
mkdirSync(dir, { recursive: true });

/** Runs one CLI command in the project; prints it and its human output; returns parsed --json. */
function hp(args, { json = true, show = true } = {}) {
    const shown = args.map((a) => (/[\s{}"]/.test(a) ? `'${a}'` : a)).join(' ');
    if (show) console.log(`\n$ hyperprov ${shown}`);
    const started = process.hrtime.bigint();
    const res = spawnSync(process.execPath, [cli, ...args, ...(json ? ['--json'] : [])], {
        cwd: dir,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (res.status !== 0) {
        process.stderr.write(res.stdout + res.stderr);
        fail(`hyperprov ${shown} exited with ${res.status}`);
    }
    if (!json) {
        if (show) process.stdout.write(res.stdout);
        return undefined;
    }
    const doc = JSON.parse(res.stdout);
    if (show) console.log(`  (${ms.toFixed(0)} ms)`);
    return doc;
}

function fail(message) {
    console.error(`demo: ${message}`);
    process.exit(1);
}

function writeRandom(path, bytes) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(bytes));
}

console.log(`HyperProv demo in ${dir}`);
hp(['init'], { json: false });

// 1. Datasets: an IdenProf-shaped image folder split into train and test, recorded as manifests.
const classes = ['chef', 'doctor', 'engineer', 'pilot'];
for (const split of ['train', 'test']) {
    for (const c of classes) {
        for (let i = 0; i < (split === 'train' ? 12 : 4); i++) {
            writeRandom(join(dir, 'data', split, c, `${c}-${i}.jpg`), 2048 + 97 * i);
        }
    }
}
const train = hp(['dataset', 'data/train', '--key', 'datasets/idenprof/train', '--upload']);
const test = hp(['dataset', 'data/test', '--key', 'datasets/idenprof/test', '--upload']);
console.log(`  train manifest ${train.record.id.slice(0, 16)}… (${train.count} files), test ${test.record.id.slice(0, 16)}… (${test.count} files)`);

// 2. Training: one checkpoint per epoch, each depending on both manifests and the previous epoch.
const checkpoints = [];
for (let epoch = 1; epoch <= epochs; epoch++) {
    const file = join('output', `idenprof-resnet50-epoch${epoch}.pt`);
    writeRandom(join(dir, file), checkpointBytes);
    const deps = [train.record.id, test.record.id, ...(checkpoints.length ? [checkpoints.at(-1).id] : [])];
    const meta = { epoch, loss: Number((1.9 / epoch).toFixed(3)), accuracy: Number((0.5 + 0.1 * epoch).toFixed(2)), run: 'demo-run-1' };
    const rec = hp([
        'record', file, '--key', 'models/idenprof-resnet50', '--type', 'transformation',
        ...deps.flatMap((d) => ['--dep', d]), '--meta', JSON.stringify(meta),
    ]);
    checkpoints.push(rec.record ?? rec);
}
const last = checkpoints.at(-1);

// 3. Questions users ask.
console.log('\n# Where did the final model come from?');
hp(['lineage', last.id], { json: false });
console.log('\n# What was built from the training data?');
hp(['lineage', train.record.id, '--down', '--depth', '1'], { json: false });
console.log('\n# Every version of the model');
hp(['history', 'models/idenprof-resnet50'], { json: false });
console.log('\n# Is everything still what was recorded (bytes and ledger)?');
hp(['verify', '--all', '--ledger'], { json: false });
console.log('\n# Give me exactly the model of epoch 1 (verified while copied)');
hp(['fetch', checkpoints[0].id, 'restored/epoch1.pt'], { json: false });

console.log(`\nDone. Explore it yourself:\n  cd ${dir}\n  node ${cli} status\n  node ${cli} lineage ${last.id}`);
