#!/usr/bin/env node
/**
 * The main job on the embedded default ledger, end to end, through the real `hyperprov` CLI:
 * a small training run whose train/test datasets become manifests, whose per-epoch checkpoints are
 * recorded with dependencies on those manifests and on the previous checkpoint, and which is then
 * queried (lineage up and down, history, the run, a diff of two epochs), verified, and reproduced
 * (run N's model and data, every byte checked).
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

// 2. Training: the epoch hook after each epoch, saving to one name as Keras does. Each record
// depends on both manifests and on the previous epoch, with the epoch, metrics and params as meta.
const checkpoints = [];
for (let epoch = 1; epoch <= epochs; epoch++) {
    const file = join('output', 'idenprof-resnet50.pt');
    writeRandom(join(dir, file), checkpointBytes);
    const metrics = { loss: Number((1.9 / epoch).toFixed(3)), accuracy: Number((0.5 + 0.1 * epoch).toFixed(2)) };
    const result = hp([
        'epoch', file, '--key', 'models/idenprof-resnet50', '--epoch', String(epoch), '--run', 'demo-run-1',
        '--metrics', JSON.stringify(metrics), '--params', JSON.stringify({ lr: 0.001, batch: 32 }),
        '--dataset', `train=${train.record.id}`, '--dataset', `test=${test.record.id}`,
    ]);
    checkpoints.push(result.record);
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
console.log('\n# The run, epoch by epoch');
hp(['run', 'demo-run-1'], { json: false });
console.log('\n# What changed between the first and the last epoch?');
hp(['diff', checkpoints[0].id, last.id], { json: false });
console.log('\n# Give me exactly the model and data of epoch 1 (every byte checked)');
hp(['reproduce', '--run', 'demo-run-1', '--epoch', '1', 'reproduced/epoch1'], { json: false });
console.log(`\nDone. Explore it yourself:\n  cd ${dir}\n  node ${cli} status\n  node ${cli} lineage ${last.id}`);
