// Timing helpers. CPU is process.cpuUsage(): getrusage(RUSAGE_SELF), i.e. user + system time of
// every thread of this process, hash worker threads included (servers run in other processes and
// are not counted).
import os from 'node:os';

/** Runs fn once: wall seconds, client CPU seconds, and fn's result. */
export async function measure(fn) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const result = await fn();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, result };
}

export function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median seconds and CPU seconds of samples from {@link measure}. */
export function summarize(samples) {
    return {
        seconds: median(samples.map((s) => s.seconds)),
        cpuSeconds: median(samples.map((s) => s.cpuSeconds)),
        samples: samples.map((s) => +s.seconds.toFixed(4)),
    };
}

/** Runs `items` through `fn` with at most `limit` in flight, in order of start. */
export async function mapLimit(items, limit, fn) {
    const results = new Array(items.length);
    let next = 0;
    const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await fn(items[index], index);
        }
    });
    await Promise.all(lanes);
    return results;
}

/** 1-minute load average, rounded: the machine is shared, so every figure carries it. */
export const load = () => +os.loadavg()[0].toFixed(2);
