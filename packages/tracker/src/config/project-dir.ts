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
    // The nearest `.hyperprov/` that has no config: if no project is found, that is what to report.
    let incomplete: string | undefined;
    for (;;) {
        const candidate = projectPaths(dir);
        if (await isFile(path.join(candidate.hyperprovDir, CONFIG_FILENAME))) return candidate;
        if (incomplete === undefined && (await isDirectory(candidate.hyperprovDir))) incomplete = candidate.hyperprovDir;
        const parent = path.dirname(dir);
        if (parent === dir) break;
        dir = parent;
    }
    if (incomplete !== undefined) {
        // `hyperprov init` refuses while the folder exists, so "run init" alone cannot be followed.
        throw new TrackerError(
            'NOT_INITIALIZED',
            `${path.join(incomplete, CONFIG_FILENAME)} is missing, so ${incomplete} is not a usable project; restore the file from a backup, ` +
                `or move ${incomplete} aside and run \`hyperprov init\` to start a new project (the old records stay in the moved folder)`,
        );
    }
    throw new TrackerError(
        'NOT_INITIALIZED',
        `no ${HYPERPROV_DIRNAME}/ found in ${path.resolve(cwd)} or any parent directory; ` +
            'run `hyperprov init` in the project directory (or pass --dir)',
    );
}

async function isDirectory(dir: string): Promise<boolean> {
    try {
        return (await stat(dir)).isDirectory();
    } catch {
        return false;
    }
}

async function isFile(file: string): Promise<boolean> {
    try {
        return (await stat(file)).isFile();
    } catch {
        return false;
    }
}
