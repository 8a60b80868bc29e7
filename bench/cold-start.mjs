#!/usr/bin/env node
// Benchmark: how long the `hyperprov` CLI takes to start and answer, as a fresh process each time
// (what a user or a shell script meets), against bare `node -e 0` on the same machine.
//   - `hyperprov --version`, `hyperprov --help`
//   - `hyperprov get <key>` on a small embedded project (a few records), the common read
//   - how many files each command loads, and whether any Fabric module is among them
//   - with --server, the same commands again while `hyperprov serve` runs for the project (they
//     are forwarded to it: target get <= 150 ms through the server, issue 9)
// Median and p90 of --runs runs each (wall time, and CPU time of the child when GNU time is there). Target (issue "One package per concern"): get <= 150 ms.
// Needs the packages built (`npm run build`). The CLI is the installed `@hyperprov/cli` bin, or
// the launcher given with --bin (to measure an older checkout).
// Usage: node bench/cold-start.mjs [--runs 15] [--bin path/to/hyperprov.js] [--server] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HYPERPROV_BIN } from '@hyperprov/cli';
import { fabricFiles, loadedModules } from '@hyperprov/cli/testing';

const { values: args } = parseArgs({
    options: {
        runs: { type: 'string', default: '15' },
        bin: { type: 'string' },
        json: { type: 'boolean', default: false },
        server: { type: 'boolean', default: false },
    },
});
const RUNS = Number(args.runs);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const bin = args.bin ? path.resolve(args.bin) : HYPERPROV_BIN;

const dir = await mkdtemp(path.join(os.tmpdir(), 'hyperprov-cold-'));
try {
    const cli = (...argv) => execFileSync(process.execPath, [bin, ...argv], { cwd: dir, encoding: 'utf8' });
    cli('init');
    for (let i = 0; i < 5; i++) {
        await writeFile(path.join(dir, `f${i}.bin`), `payload ${i}\n`);
        cli('record', `f${i}.bin`, '--key', `files/f${i}`);
    }

    const cases = [
        { name: 'node -e 0', argv: ['-e', '0'], bare: true },
        { name: 'hyperprov --version', argv: ['--version'] },
        { name: 'hyperprov --help', argv: ['--help'] },
        { name: 'hyperprov get files/f3', argv: ['get', 'files/f3'] },
    ];
    const rows = [];
    const measureAll = (suffix) => {
        for (const c of cases) if (!(suffix && c.bare)) rows.push(measure(c, suffix));
    };
    measureAll('');
    if (args.server) {
        cli('serve', '--detach');
        try {
            measureAll(' (server)');
        } finally {
            cli('serve', '--stop');
        }
    }
    function measure(c, suffix) {
        const argv = c.bare ? c.argv : [bin, ...c.argv];
        const times = [];
        const cpu = [];
        for (let i = 0; i < RUNS; i++) {
            // GNU time reports the child's user+system CPU, which a loaded machine inflates far
            // less than wall time; without it only wall time is reported.
            const timed = TIME ? [TIME, ['-f', 'cpu %U %S', process.execPath, ...argv]] : [process.execPath, argv];
            const start = process.hrtime.bigint();
            const run = spawnSync(timed[0], timed[1], { cwd: dir, encoding: 'utf8' });
            times.push(Number(process.hrtime.bigint() - start) / 1e6);
            if (run.status !== 0) throw new Error(`${c.name} exited ${run.status}: ${run.stderr}`);
            const usage = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(run.stderr);
            if (usage) cpu.push((Number(usage[1]) + Number(usage[2])) * 1000);
        }
        times.sort((a, b) => a - b);
        cpu.sort((a, b) => a - b);
        const loaded = c.bare ? { files: 0, fabric: false } : loadedFiles(argv);
        return {
            command: `${c.name}${suffix}`,
            medianMs: round(times[Math.floor(times.length / 2)]),
            p90Ms: round(times[Math.min(times.length - 1, Math.floor(times.length * 0.9))]),
            cpuMs: cpu.length ? round(cpu[Math.floor(cpu.length / 2)]) : null,
            filesLoaded: loaded.files,
            loadsFabric: loaded.fabric,
        };
    }

    const result = { runs: RUNS, server: args.server, bin: path.relative(process.cwd(), bin), node: process.version, cpus: os.cpus().length, load: os.loadavg()[0], rows };
    if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
        console.log(`cold start, median of ${RUNS} fresh processes (load ${result.load.toFixed(1)}, ${result.cpus} cores)`);
        console.table(rows);
    }
    const out = new URL('./results/', import.meta.url);
    await mkdir(out, { recursive: true });
    await writeFile(new URL('cold-start.json', out), `${JSON.stringify(result, null, 2)}\n`);
} finally {
    await rm(dir, { recursive: true, force: true });
}

/** Files the command loads, and whether any is Fabric's (the probe the CLI's start-up test uses). */
function loadedFiles(argv) {
    const { files } = loadedModules(argv.slice(1), dir, argv[0]);
    return { files: files.length, fabric: fabricFiles(files).length > 0 };
}

function round(ms) {
    return Math.round(ms * 10) / 10;
}

