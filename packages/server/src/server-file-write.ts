/**
 * Creating and removing `.hyperprov/server.json`. One server per project: the file is created
 * with link(2), which fails when the name exists, so of two servers starting at once exactly one
 * gets it; the loser reads who won.
 */
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { TrackerError } from '@hyperprov/errors';
import { isProcessAlive, readServerFile, serverFilePath, type ServerFile } from './client/server-file.js';

/** Throws ALREADY_EXISTS when a live server other than this process holds the project. */
export function refuseRunningServer(projectDir: string): void {
    const running = readServerFile(projectDir);
    if (running && running.pid !== process.pid && isProcessAlive(running.pid)) throw alreadyRunning(projectDir, running);
}

/**
 * Writes the file atomically (a complete 0600 temp file, then linked into place): a reader sees
 * no file or the whole file, and never a token readable by other users. A file left by a server
 * that died (its pid is gone) is replaced.
 */
export async function writeServerFile(projectDir: string, content: ServerFile): Promise<void> {
    const file = serverFilePath(projectDir);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
    try {
        for (let attempt = 0; ; attempt++) {
            try {
                await link(tmp, file);
                return;
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
            }
            const running = readServerFile(projectDir);
            if (running && running.pid !== process.pid && isProcessAlive(running.pid)) throw alreadyRunning(projectDir, running);
            // Stale (its server was killed) or unreadable: take its place.
            await unlink(file).catch(() => undefined);
        }
    } finally {
        await unlink(tmp).catch(() => undefined);
    }
}

/** Removes the file when it is still this server's (a later server may have replaced a stale one). */
export async function removeServerFile(projectDir: string, token: string): Promise<void> {
    const file = serverFilePath(projectDir);
    try {
        const content = JSON.parse(await readFile(file, 'utf8')) as Partial<ServerFile>;
        if (content.token !== token) return;
        await unlink(file);
    } catch {
        // Gone already, or not ours to judge: leave it.
    }
}

function alreadyRunning(projectDir: string, running: ServerFile): TrackerError {
    return new TrackerError(
        'ALREADY_EXISTS',
        `a project server already runs for ${projectDir} (pid ${running.pid}, ${running.url}); every hyperprov command uses it, ` +
            'or stop it with `hyperprov serve --stop`',
    );
}
