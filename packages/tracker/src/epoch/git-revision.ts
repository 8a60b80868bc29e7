/**
 * The code revision a checkpoint was trained with: the commit of the git repository around the
 * training script's directory and whether the working tree had uncommitted changes. Absent when
 * there is no repository or no git; never an error: provenance is recorded either way.
 */
import { execFile } from 'node:child_process';

export interface GitRevision {
    commit: string;
    dirty: boolean;
}

export async function gitRevision(dir: string): Promise<GitRevision | undefined> {
    const commit = await git(dir, ['rev-parse', 'HEAD']);
    if (commit === undefined || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
    // Tracked files only: checkpoints and data written next to the code must not count as edits.
    const status = await git(dir, ['status', '--porcelain', '--untracked-files=no']);
    return { commit, dirty: status === undefined ? true : status.length > 0 };
}

function git(cwd: string, args: string[]): Promise<string | undefined> {
    return new Promise((resolve) => {
        execFile('git', args, { cwd, timeout: 10_000, windowsHide: true }, (error, stdout) => {
            resolve(error ? undefined : stdout.trim());
        });
    });
}
