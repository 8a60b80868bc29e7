/**
 * Reads the repository's import graph from the sources: for every TypeScript or JavaScript file,
 * the specifiers it imports (static, dynamic, re-exports, side-effect imports and `require`).
 * A regular expression is enough because the code base writes every specifier as a string
 * literal; a computed specifier would escape these checks, which is why the style forbids them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)'([^']+)'/g;

/** One source file and what it imports. */
export interface SourceFile {
    /** Path relative to the repository root, with `/`. */
    file: string;
    specifiers: string[];
    text: string;
}

/** Test-only code: test files, test helpers, end-to-end suites. Allowed more dependencies. */
export function isTestCode(file: string): boolean {
    return /\.test\.ts$|\.test-d\.ts$|\/testing\/|\/e2e\/|vitest\.config\.ts$/.test(file);
}

/** Every source file under `dir` (relative to the repo), skipping build output and dependencies. */
export function sourceFiles(dir: string, extensions = /\.(ts|mts|mjs|js)$/): SourceFile[] {
    const out: SourceFile[] = [];
    const walk = (abs: string): void => {
        for (const name of readdirSync(abs)) {
            if (name === 'node_modules' || name === 'dist' || name === 'results' || name.startsWith('.')) continue;
            const child = path.join(abs, name);
            if (statSync(child).isDirectory()) walk(child);
            else if (extensions.test(name) && !name.endsWith('.d.ts')) {
                const text = readFileSync(child, 'utf8');
                out.push({ file: path.relative(REPO, child).split(path.sep).join('/'), specifiers: specifiersOf(stripComments(text)), text });
            }
        }
    };
    const root = path.join(REPO, dir);
    try {
        if (statSync(root).isDirectory()) walk(root);
    } catch {
        // A folder that does not exist yet (examples/) has no files to check.
    }
    return out;
}

/** The import specifiers in a source text. */
export function specifiersOf(text: string): string[] {
    return [...text.matchAll(SPECIFIER)].map((m) => m[1] as string);
}

/** Removes comments, so a specifier mentioned in prose is not taken for an import. */
export function stripComments(text: string): string {
    return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** The npm package a bare specifier names (`@scope/name/sub` -> `@scope/name`), or undefined for relative and `node:` ones. */
export function packageOf(specifier: string): string | undefined {
    if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || specifier.startsWith('data:')) return undefined;
    const parts = specifier.split('/');
    return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** A workspace package: its folder, manifest, and sources. */
export interface WorkspacePackage {
    dir: string;
    name: string;
    manifest: {
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
        peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    files: SourceFile[];
}

/** Every package under packages/. */
export function workspacePackages(): WorkspacePackage[] {
    return readdirSync(path.join(REPO, 'packages'))
        .filter((name) => statSync(path.join(REPO, 'packages', name)).isDirectory())
        .map((name) => {
            const dir = `packages/${name}`;
            const manifest = JSON.parse(readFileSync(path.join(REPO, dir, 'package.json'), 'utf8')) as WorkspacePackage['manifest'] & { name: string };
            return { dir, name: manifest.name, manifest, files: sourceFiles(`${dir}/src`) };
        });
}
