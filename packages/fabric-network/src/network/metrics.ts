/** Reading the Prometheus text that orderers and peers serve on /metrics (operations port). */

/** The value of `metric` whose labels include all of `labels`, or undefined. */
export function metricValue(text: string, metric: string, labels: Record<string, string> = {}): number | undefined {
    for (const line of text.split('\n')) {
        if (!line.startsWith(metric) || line.startsWith('#')) continue;
        const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
        if (!match || match[1] !== metric) continue;
        const found = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
        if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[4]);
    }
    return undefined;
}

export async function fetchMetrics(operationsUrl: string): Promise<string | undefined> {
    try {
        const response = await fetch(`${operationsUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
        return response.ok ? await response.text() : undefined;
    } catch {
        return undefined;
    }
}
