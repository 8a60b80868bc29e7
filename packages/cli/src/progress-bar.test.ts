import { describe, expect, it } from 'vitest';
import { progressBar } from './progress-bar.js';

function fakeTerminal(): { io: { stdout: () => void; stderr: (t: string) => void }; lines: string[] } {
    const lines: string[] = [];
    return { io: { stdout: () => {}, stderr: (t: string) => lines.push(t) }, lines };
}

describe('progressBar', () => {
    it('draws bar, percent, sizes, rate and time left, at most every 200 ms', () => {
        let clock = 1_000;
        const term = fakeTerminal();
        const bar = progressBar(term, 100 * 1024 * 1024, () => clock);
        clock += 1_000;
        bar.update(50 * 1024 * 1024);
        clock += 100;
        bar.update(51 * 1024 * 1024); // within 200 ms: not drawn
        expect(term.lines).toHaveLength(1);
        expect(term.lines[0]).toBe(
            '\rstoring [############------------]  50% 50.0 MiB of 100.0 MiB, 50.0 MiB/s, 1 s left\u001b[K',
        );
        bar.clear();
        expect(term.lines.at(-1)).toBe('\r\u001b[K');
    });

    it('shows bytes and rate when the size is unknown, and erases nothing it never drew', () => {
        let clock = 0;
        const term = fakeTerminal();
        const bar = progressBar(term, undefined, () => clock);
        bar.clear();
        expect(term.lines).toEqual([]);
        clock = 2_000;
        bar.update(3 * 1024);
        expect(term.lines[0]).toBe('\rstoring 3.0 KiB at 1.5 KiB/s\u001b[K');
    });
});
