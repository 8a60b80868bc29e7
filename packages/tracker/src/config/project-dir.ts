/**
 * Finding the project a command runs in: the nearest directory, walking up from the working
 * directory (or --dir) like git does, that holds `.hyperprov/`. The walk stops at the first
 * `.hyperprov/` whatever it holds: one without its config is a broken project, and walking on past
 * it would write a child project's records into its parent's ledger.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { TrackerError } from '@hyperprov/errors';

/** Name of the folder `hyperprov init` creates in a project. */
export const HYPERPROV_DIRNAME = '.hyperprov';
/** Name of the config file inside {@link HYPERPROV_DIRNAME}. */
export const CONFIG_FILENAME = 'config.json';

/** Where a project lives. */
export interface ProjectDir {
    /** The directory that contains `.hyperprov/`. */
    projectDir: string;
    /** `<projectDir>/.hyperprov`. */
    hyperprovDir: string;
}

/** Paths of the project rooted at `projectDir` (nothing is checked on disk). */
export function projectPaths(projectDir: string): ProjectDir {
    const abs = path.resolve(projectDir);
    return { projectDir: abs, hyperprovDir: path.join(abs, HYPERPROV_DIRNAME) };
}

/**
 * Walks up from `cwd` to the filesystem root and returns the first directory holding
 * `.hyperprov/`. Throws NOT_INITIALIZED when there is none, or when the first one found has no
 * `config.json` (or is not a directory).
 */
export async function findProjectDir(cwd: string = process.cwd()): Promise<ProjectDir> {
    let dir = path.resolve(cwd);
    for (;;) {
        const candidate = projectPaths(dir);
        const kind = await kindOf(candidate.hyperprovDir);
        if (kind === 'directory') {
            const config = path.join(candidate.hyperprovDir, CONFIG_FILENAME);
            if ((await kindOf(config)) === 'file') return candidate;
            // `hyperprov init` refuses while the folder exists, so "run init" alone cannot be followed.
            throw new TrackerError(
                'NOT_INITIALIZED',
                `${config} is missing, so ${candidate.hyperprovDir} is not a usable project (and no project further up is used ` +
                    "instead: its ledger would get this project's records); restore the file from a backup, or move " +
                    `${candidate.hyperprovDir} aside (the old ledger, identity and objects stay in the moved folder) and run \`hyperprov init\` ` +
                    `in ${candidate.projectDir} to start a new project`,
            );
        }
        if (kind === 'file' || kind === 'other') {
            throw new TrackerError(
                'NOT_INITIALIZED',
                `${candidate.hyperprovDir} is not a directory, so ${candidate.projectDir} is not a usable project; ` +
                    `move that file aside and run \`hyperprov init --dir ${candidate.projectDir}\`, or pass --dir <project>`,
            );
        }
        const parent = path.dirname(dir);
        if (parent === dir) break;
        dir = parent;
    }
    throw new TrackerError(
        'NOT_INITIALIZED',
        `no ${HYPERPROV_DIRNAME}/ found in ${path.resolve(cwd)} or any parent directory; ` +
            'run `hyperprov init` in the project directory (or pass --dir)',
    );
}

async function kindOf(file: string): Promise<'file' | 'directory' | 'other' | 'none'> {
    try {
        const stats = await stat(file);
        return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
    } catch {
        return 'none';
    }
}

/**
 * `child`'s path relative to `parent` when it is `parent` itself ('') or inside it, else
 * undefined. Compares whole path segments, so a sibling named `..data` is not taken for outside.
 */
export function pathWithin(parent: string, child: string): string | undefined {
    const relative = path.relative(path.resolve(parent), path.resolve(child));
    if (path.isAbsolute(relative) || relative === '..' || relative.startsWith(`..${path.sep}`)) return undefined;
    return relative;
}
