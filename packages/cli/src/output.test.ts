import { describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import { EXIT_CODES } from '@hyperprov/errors';
import { CliOutput, type CliIo } from './output.js';

function sink(options: { backpressureEvery?: number } = {}) {
    const out: string[] = [];
    const err: string[] = [];
    let drains = 0;
    const io: CliIo = {
        stdout: (text) => {
            out.push(text);
            return options.backpressureEvery ? out.length % options.backpressureEvery !== 0 : true;
        },
        stderr: (text) => void err.push(text),
        drain: async () => void drains++,
    };
    return { io, stdout: () => out.join(''), stderr: () => err.join(''), drains: () => drains };
}

async function* items<T>(values: T[]): AsyncGenerator<T> {
    yield* values;
}

describe('CliOutput.list', () => {
    it.each([0, 1, 3])('streams %i items as one JSON document', async (n) => {
        const s = sink({ backpressureEvery: 2 });
        const values = Array.from({ length: n }, (_, i) => ({ id: `r${i}`, meta: { nested: [i] } }));
        await new CliOutput(true, s.io).list(items(values), { head: { key: 'k' }, tail: { bookmark: '' }, line: String, empty: '-' });
        expect(JSON.parse(s.stdout())).toEqual({ key: 'k', items: values, bookmark: '' });
        if (n > 1) expect(s.drains()).toBeGreaterThan(0);
    });

    it('prints one line per item for humans, or the empty text', async () => {
        const s = sink();
        await new CliOutput(false, s.io).list(items(['a', 'b']), { line: (x) => `<${x}>`, empty: 'none' });
        expect(s.stdout()).toBe('<a>\n<b>\n');
        const e = sink();
        await new CliOutput(false, e.io).list(items([]), { line: String, empty: 'none' });
        expect(e.stdout()).toBe('none\n');
    });

    it('a listing that fails before its first item prints only the error document', async () => {
        const s = sink();
        const output = new CliOutput(true, s.io);
        async function* failing(): AsyncGenerator<never> {
            throw new TrackerError('NOT_FOUND', 'no record for key nosuch');
        }
        const error = await output.list(failing(), { head: { key: 'nosuch' }, line: String, empty: '' }).catch((e: unknown) => e);
        expect(output.error(error)).toBe(EXIT_CODES.NOT_FOUND);
        expect(JSON.parse(s.stdout())).toEqual({ error: { code: 'NOT_FOUND', message: 'no record for key nosuch', hint: expect.any(String), exitCode: EXIT_CODES.NOT_FOUND } });
        expect(s.stderr()).toBe('');
    });

    it('a listing that fails half-way still ends as one JSON document, carrying the error', async () => {
        const s = sink();
        const output = new CliOutput(true, s.io);
        async function* failing() {
            yield { id: 1 };
            throw new TrackerError('LEDGER_UNAVAILABLE', 'gone');
        }
        const error = await output.list(failing(), { head: { key: 'k' }, tail: { bookmark: '' }, line: String, empty: '' }).catch((e: unknown) => e);
        expect(output.error(error)).toBe(EXIT_CODES.LEDGER_UNAVAILABLE);
        expect(JSON.parse(s.stdout())).toEqual({
            key: 'k',
            items: [{ id: 1 }],
            error: { code: 'LEDGER_UNAVAILABLE', message: 'gone', hint: expect.any(String), exitCode: EXIT_CODES.LEDGER_UNAVAILABLE },
        });
        expect(s.stderr()).toBe('');
    });
});

describe('CliOutput.error', () => {
    it('prints {error:{code,message}} with --json and maps unknown errors to INTERNAL', () => {
        const s = sink();
        expect(new CliOutput(true, s.io).error(new Error('boom'))).toBe(EXIT_CODES.INTERNAL);
        expect(JSON.parse(s.stdout())).toMatchObject({ error: { code: 'INTERNAL', message: 'unexpected error: boom', exitCode: 70 } });
    });

    it('prints block numbers (bigint) as strings', () => {
        const s = sink();
        new CliOutput(true, s.io).result({ height: 12n }, () => '');
        expect(JSON.parse(s.stdout())).toEqual({ height: '12' });
    });
});
