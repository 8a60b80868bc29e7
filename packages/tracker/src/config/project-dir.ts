/**
 * Finding the project a command runs in: the nearest directory, walking up from the working
 * directory like git does, that holds `.hyperprov/config.json`.
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
 * `.hyperprov/config.json`. Throws NOT_INITIALIZED when there is none.
 */
export async function findProjectDir(cwd: string = process.cwd()): Promise<ProjectDir> {
    let dir = path.resolve(cwd);
    for (;;) {
        const candidate = projectPaths(dir);
        if (await isFile(path.join(candidate.hyperprovDir, CONFIG_FILENAME))) return candidate;
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

async function isFile(file: string): Promise<boolean> {
    try {
        return (await stat(file)).isFile();
    } catch {
        return false;
    }
}
