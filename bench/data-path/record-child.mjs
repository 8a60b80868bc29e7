#!/usr/bin/env node
// Child process of the peak-RSS figure: opens an existing HyperProv project, records one file,
// closes, and prints its own peak resident set (VmHWM from /proc/self/status, which covers every
// thread: hash workers, the store's buffers, the ledger) as one JSON line.
// Usage: node record-child.mjs <projectDir> <file> <key>
import { readFile } from 'node:fs/promises';
import { openTracker } from '@hyperprov/tracker';

const [dir, file, key] = process.argv.slice(2);
const kib = (status, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);

const before = await readFile('/proc/self/status', 'utf8');
// Where the memory goes: the largest V8 heap and off-heap (Buffers, shared ring) sizes seen.
const peak = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    for (const key of Object.keys(peak)) peak[key] = Math.max(peak[key], usage[key]);
}, 20);
const started = performance.now();
const tracker = await openTracker({ dir });
const { record } = await tracker.record(file, { key });
await tracker.close();
clearInterval(sampler);
const seconds = (performance.now() - started) / 1000;
const status = await readFile('/proc/self/status', 'utf8');
const usage = process.resourceUsage();
console.log(
    JSON.stringify({
        size: record.size,
        seconds,
        startRssKiB: kib(before, 'VmRSS'),
        peakRssKiB: kib(status, 'VmHWM'),
        cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
        peakMemoryUsageMB: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, +(v / 1e6).toFixed(1)])),
    }),
);
