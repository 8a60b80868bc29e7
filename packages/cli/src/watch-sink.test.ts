/**
 * The watch sink lets go of the tracker only when nothing is in flight and the outbox is empty,
 * and opens it again for the next checkpoint. Driven with a stand-in tracker that counts opens
 * and closes (the real one is exercised by cli-watch.int.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { EpochHandle, EpochInput, EpochResult, Tracker } from '@hyperprov/tracker';
import { idleReleasingTracker } from './watch-sink.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function standIn() {
    const log: string[] = [];
    const commits: ((result: EpochResult) => void)[] = [];
    let outboxEmpty = true;
    const open = async (): Promise<Tracker> => {
        log.push('open');
        return {
            projectDir: '/p',
            epoch: async (input: EpochInput): Promise<EpochHandle> => {
                log.push(`epoch ${input.epoch}`);
                let resolve!: (result: EpochResult) => void;
                const committed = new Promise<EpochResult>((r) => (resolve = r));
                commits.push(resolve);
                return { entry: `e${input.epoch}`, run: 'r', key: 'k', snapshotted: Promise.resolve(), committed };
            },
            flush: async () => ({ done: outboxEmpty, pending: [], failed: [] }),
            close: async () => void log.push('close'),
        } as unknown as Tracker;
    };
    return { log, commits, open, setOutboxEmpty: (empty: boolean) => (outboxEmpty = empty) };
}

describe('idleReleasingTracker', () => {
    it('closes after the idle time once the last epoch committed, and reopens for the next', async () => {
        const t = standIn();
        const releasing = idleReleasingTracker(t.open, 100);
        const handle = await releasing.sink.epoch({ model: 'm', epoch: 1 });
        await sleep(300);
        // Not committed yet: its tracker must stay open to record it.
        expect(t.log).toEqual(['open', 'epoch 1']);
        t.commits[0]?.({} as EpochResult);
        await handle.committed;
        await sleep(300);
        expect(t.log).toEqual(['open', 'epoch 1', 'close']);
        // Released with an empty outbox: flush needs no reopen.
        expect(await releasing.sink.flush({ timeoutMs: 0 })).toEqual({ done: true, pending: [], failed: [] });
        await releasing.sink.epoch({ model: 'm', epoch: 2 });
        expect(t.log).toEqual(['open', 'epoch 1', 'close', 'open', 'epoch 2']);
        await releasing.close();
        expect(t.log.at(-1)).toBe('close');
    });

    it('keeps the tracker open while its outbox still has entries (retrying an outage)', async () => {
        const t = standIn();
        t.setOutboxEmpty(false);
        const releasing = idleReleasingTracker(t.open, 50);
        await releasing.use(async () => undefined);
        await sleep(300);
        expect(t.log).toEqual(['open']);
        t.setOutboxEmpty(true);
        await sleep(300);
        expect(t.log).toEqual(['open', 'close']);
        await releasing.close();
        expect(t.log).toEqual(['open', 'close']);
    });
});
