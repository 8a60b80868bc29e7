/** Reading the Prometheus text that orderers and peers serve on /metrics (operations port). */

/** Every sample of `metric` (a histogram's `_sum`, `_count`… are metrics of their own): its labels and value. */
export function metricSamples(text: string, metric: string): { labels: Record<string, string>; value: number }[] {
    const samples: { labels: Record<string, string>; value: number }[] = [];
    for (const line of text.split('\n')) {
        if (!line.startsWith(metric) || line.startsWith('#')) continue;
        const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
        if (!match || match[1] !== metric) continue;
        const labels = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1] as string, m[2] as string]));
        samples.push({ labels, value: Number(match[4]) });
    }
    return samples;
}

/** The value of `metric` whose labels include all of `labels`, or undefined. */
export function metricValue(text: string, metric: string, labels: Record<string, string> = {}): number | undefined {
    return metricSamples(text, metric).find((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

export async function fetchMetrics(operationsUrl: string): Promise<string | undefined> {
    try {
        const response = await fetch(`${operationsUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
        return response.ok ? await response.text() : undefined;
    } catch {
        return undefined;
    }
}
