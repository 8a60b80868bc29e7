/** The progress bar `hyperprov record` draws on a terminal. */
import type { CliContext } from './context.js';
import { formatSizeShort } from './format.js';

/**
 * A progress bar on the terminal (stderr): bar, percent, bytes, rate and time left, redrawn at most
 * every 200 ms and erased when done. Without a known size it shows bytes and rate only.
 */
export function progressBar(
    ctx: Pick<CliContext, 'io'>,
    total: number | undefined,
    now: () => number = Date.now,
): { update: (bytes: number) => void; clear: () => void } {
    const started = now();
    let last = 0;
    let shown = false;
    return {
        update: (bytes) => {
            const at = now();
            if (at - last < 200) return;
            last = at;
            shown = true;
            const seconds = Math.max((at - started) / 1000, 0.001);
            const rate = bytes / seconds;
            let line = `${formatSizeShort(bytes)} at ${formatSizeShort(rate)}/s`;
            if (total !== undefined && total > 0) {
                const fraction = Math.min(bytes / total, 1);
                const width = 24;
                const filled = Math.round(fraction * width);
                const left = rate > 0 ? Math.max(0, (total - bytes) / rate) : 0;
                line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatSizeShort(bytes)} of ${formatSizeShort(total)}, ${formatSizeShort(rate)}/s, ${left.toFixed(0)} s left`;
            }
            ctx.io.stderr(`\rstoring ${line}\u001b[K`);
        },
        clear: () => {
            if (shown) ctx.io.stderr('\r\u001b[K');
        },
    };
}
