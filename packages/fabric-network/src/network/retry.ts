/** Retrying the steps that fail while a fresh network settles (no Raft leader yet, chaincode not dialled yet). */
import { setTimeout as sleep } from 'node:timers/promises';

export async function retry<T>(what: string, attempts: number, delayMs: number, work: () => Promise<T>, log?: (line: string) => void): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await work();
        } catch (error) {
            if (attempt >= attempts) throw error;
            log?.(`[fabric-network] ${what} failed (attempt ${attempt}/${attempts}), retrying: ${firstLine(error)}`);
            await sleep(delayMs);
        }
    }
}

function firstLine(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return message.split('\n').find((line) => /error|fail/i.test(line))?.trim().slice(0, 300) ?? message.slice(0, 300);
}
