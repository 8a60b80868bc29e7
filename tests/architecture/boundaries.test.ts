/**
 * The package layout as a test: which workspace package may import which, that declared
 * dependencies match the imports, that the browser-safe entries stay free of Fabric and Node, and
 * that benches and scripts use public entries only. Fails with the offending file and import.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, isTestCode, packageOf, sourceFiles, stripComments, workspacePackages, type SourceFile } from './source-graph.js';

/**
 * Workspace imports each package's production code may make. Dependencies point inward: the CLI
 * sits on the server and the tracker, the server on the tracker; the tracker on ledgers and stores; ledgers on the
 * protocol and errors. `@hyperprov/chaincode` (the contract itself, which loads Fabric) is for
 * the embedded ledger alone: everyone else speaks the protocol.
 */
const ALLOWED: Record<string, readonly string[]> = {
    '@hyperprov/errors': [],
    '@hyperprov/chaincode': [],
    '@hyperprov/storage': [],
    '@hyperprov/storage-s3': ['@hyperprov/storage'],
    '@hyperprov/storage-sshfs': ['@hyperprov/storage'],
    '@hyperprov/ledger': ['@hyperprov/errors', '@hyperprov/chaincode/protocol'],
    '@hyperprov/ledger-embedded': ['@hyperprov/errors', '@hyperprov/ledger', '@hyperprov/chaincode', '@hyperprov/chaincode/protocol', '@hyperprov/chaincode/queries'],
    '@hyperprov/ledger-fabric': ['@hyperprov/errors', '@hyperprov/ledger', '@hyperprov/chaincode/protocol'],
    '@hyperprov/tracker': [
        '@hyperprov/errors',
        '@hyperprov/chaincode/protocol',
        '@hyperprov/ledger',
        '@hyperprov/ledger-embedded',
        '@hyperprov/ledger-fabric',
        '@hyperprov/storage',
        '@hyperprov/storage-s3',
        '@hyperprov/storage-sshfs',
    ],
    // The folder watcher sends checkpoints to an EpochSink; from the tracker it takes only that type.
    '@hyperprov/watcher': ['@hyperprov/errors', '@hyperprov/tracker'],
    // The project server sits beside the CLI on the tracker. It does not import the CLI: `hyperprov
    // serve` hands it the CLI's runner, so the arrow points one way.
    '@hyperprov/server': ['@hyperprov/errors', '@hyperprov/chaincode/protocol', '@hyperprov/tracker', '@hyperprov/web'],
    // `serve` starts the server; every other command's fast path reads server.json through ./client.
    '@hyperprov/cli': ['@hyperprov/errors', '@hyperprov/chaincode/protocol', '@hyperprov/tracker', '@hyperprov/storage', '@hyperprov/server', '@hyperprov/server/client', '@hyperprov/watcher'],
    // Runs a Fabric network; it only locates the contract's package folder, never loads the contract.
    '@hyperprov/fabric-network': ['@hyperprov/errors'],
    // Static files of the web page; the server serves them, the page talks to the REST API only.
    '@hyperprov/web': [],
};

/** Extra workspace imports test code may make (fixtures, servers, other layers to drive). */
const TEST_ALLOWED: Record<string, readonly string[]> = {
    '@hyperprov/ledger': ['@hyperprov/ledger/conformance'],
    '@hyperprov/ledger-embedded': ['@hyperprov/ledger/conformance'],
    '@hyperprov/ledger-fabric': ['@hyperprov/ledger/conformance', '@hyperprov/fabric-network/testing'],
    '@hyperprov/tracker': ['@hyperprov/storage/conformance', '@hyperprov/storage-s3/testing', '@hyperprov/storage-sshfs/testing'],
    '@hyperprov/cli': ['@hyperprov/fabric-network/testing', '@hyperprov/storage-s3', '@hyperprov/storage-s3/testing', '@hyperprov/storage-sshfs', '@hyperprov/storage-sshfs/testing', '@hyperprov/tracker/pipeline', '@hyperprov/tracker/hashing', '@hyperprov/tracker/manifests'],
    '@hyperprov/storage-s3': ['@hyperprov/storage/conformance'],
    '@hyperprov/storage-sshfs': ['@hyperprov/storage/conformance'],
    '@hyperprov/storage': ['@hyperprov/storage/conformance'],
};

/** Runtime dependencies that no source imports, and why they are declared anyway. */
const USED_WITHOUT_IMPORT: Record<string, readonly string[]> = {
    // `npm start` runs fabric-shim's `fabric-chaincode-node server` (chaincode as a service).
    '@hyperprov/chaincode': ['fabric-shim'],
    // The network runs the built contract as a chaincode server: it resolves the package's folder
    // (createRequire(...).resolve of its package.json) and fabric-shim's cli.js from there.
    '@hyperprov/fabric-network': ['@hyperprov/chaincode'],
    // The page loads cytoscape's ES module in the browser; src/ only resolves its file to serve it.
    '@hyperprov/web': ['cytoscape'],
};

/** Packages every workspace may use in test code without declaring them (root devDependencies). */
const ROOT_DEV = ['vitest', 'typescript', '@types/node', 'turbo'];

const packages = workspacePackages();
const names = new Set(packages.map((p) => p.name));

function workspaceImports(file: SourceFile): string[] {
    return file.specifiers.filter((s) => names.has(packageOf(s) ?? ''));
}

/** Workspace imports of `files` (belonging to package `name`) that the tables do not allow. */
function wrongImports(name: string, files: readonly SourceFile[]): string[] {
    const wrong: string[] = [];
    for (const file of files) {
        const allowed = new Set([...(ALLOWED[name] ?? []), ...(isTestCode(file.file) ? (TEST_ALLOWED[name] ?? []) : [])]);
        for (const spec of workspaceImports(file)) {
            if (packageOf(spec) === name) {
                if (!isTestCode(file.file)) wrong.push(`${file.file}: imports its own package by name (${spec}); use a relative import`);
            } else if (!allowed.has(spec)) wrong.push(`${file.file}: ${spec}`);
        }
    }
    return wrong;
}

describe('package boundaries', () => {
    it('reports an upward import (the check itself works)', () => {
        const upward: SourceFile = { file: 'packages/ledger/src/x.ts', specifiers: ['@hyperprov/tracker', '@hyperprov/chaincode', '@hyperprov/errors'], text: '' };
        expect(wrongImports('@hyperprov/ledger', [upward])).toEqual(['packages/ledger/src/x.ts: @hyperprov/tracker', 'packages/ledger/src/x.ts: @hyperprov/chaincode']);
    });

    it('knows every workspace package', () => {
        expect([...names].filter((name) => !(name in ALLOWED)), 'add the new package to ALLOWED with the imports it may make').toEqual([]);
    });

    for (const pkg of packages) {
        it(`${pkg.name} imports only the workspace packages below it`, () => {
            expect(wrongImports(pkg.name, pkg.files)).toEqual([]);
        });

        it(`${pkg.name} never reaches into another package's files by path`, () => {
            const root = path.join(REPO, pkg.dir);
            const wrong = pkg.files.flatMap((file) =>
                file.specifiers
                    .filter((s) => s.startsWith('.'))
                    .filter((s) => {
                        const target = path.relative(root, path.resolve(REPO, path.dirname(file.file), s));
                        // Test code may load its own package's build or fixtures; nothing may leave the package.
                        return target.startsWith('..') || (!target.startsWith(`src${path.sep}`) && !isTestCode(file.file));
                    })
                    .map((s) => `${file.file}: ${s}`),
            );
            expect(wrong).toEqual([]);
        });

        it(`${pkg.name} declares exactly the packages its code imports`, () => {
            const { dependencies = {}, devDependencies = {}, peerDependencies = {} } = pkg.manifest;
            const runtime = new Set([...Object.keys(dependencies), ...Object.keys(peerDependencies)]);
            const dev = new Set([...runtime, ...Object.keys(devDependencies), ...ROOT_DEV]);
            const undeclared: string[] = [];
            const usedAtRuntime = new Set<string>(USED_WITHOUT_IMPORT[pkg.name] ?? []);
            for (const file of pkg.files) {
                const test = isTestCode(file.file);
                for (const spec of file.specifiers) {
                    const name = packageOf(spec);
                    if (name === undefined || name === pkg.name) continue;
                    if (!test) usedAtRuntime.add(name);
                    if (!(test ? dev : runtime).has(name)) undeclared.push(`${file.file}: ${name}`);
                }
            }
            expect(undeclared, 'imported but not declared in package.json').toEqual([]);
            const unused = Object.keys(dependencies).filter((name) => !usedAtRuntime.has(name));
            expect(unused, 'declared in dependencies but imported only by tests (make it a devDependency) or not at all').toEqual([]);
        });
    }
});

describe('Fabric client', () => {
    /** The Fabric Gateway client (and its gRPC stack) stays behind the Fabric ledger backend. */
    const FABRIC_CLIENT = ['@hyperledger/fabric-gateway'];
    const FABRIC_CLIENT_OWNER = '@hyperprov/ledger-fabric';

    it(`only ${FABRIC_CLIENT_OWNER} imports ${FABRIC_CLIENT.join(', ')}`, () => {
        const wrong = packages
            .filter((p) => p.name !== FABRIC_CLIENT_OWNER)
            .flatMap((p) => p.files.flatMap((f) => f.specifiers.filter((s) => FABRIC_CLIENT.includes(packageOf(s) ?? '')).map((s) => `${f.file}: ${s}`)));
        expect(wrong).toEqual([]);
    });
});

describe('browser-safe entries', () => {
    /** The files an entry loads through relative imports. */
    function closure(entry: string): SourceFile[] {
        const files = new Map(packages.flatMap((p) => p.files).map((f) => [f.file, f]));
        const seen = new Map<string, SourceFile>();
        const visit = (file: string): void => {
            const source = files.get(file);
            if (!source || seen.has(file)) return;
            seen.set(file, source);
            for (const spec of source.specifiers.filter((s) => s.startsWith('.'))) {
                const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '');
                visit(`${target}.ts`);
                visit(`${target}/index.ts`);
            }
        };
        visit(entry);
        return [...seen.values()];
    }

    /** Imports and globals a browser does not have. */
    function nodeOnly(files: SourceFile[]): string[] {
        return files.flatMap((file) => {
            const code = stripComments(file.text);
            const problems = file.specifiers.filter((s) => !s.startsWith('.')).map((s) => `${file.file}: imports ${s}`);
            for (const global of ['Buffer', 'process', 'require', '__dirname']) {
                if (new RegExp(`\\b${global}\\b[.(]`).test(code)) problems.push(`${file.file}: uses ${global}`);
            }
            return problems;
        });
    }

    for (const entry of ['packages/chaincode/src/protocol.ts', 'packages/errors/src/index.ts']) {
        it(`${entry} loads no Fabric module, no Node module and no Node global`, () => {
            const files = closure(entry);
            expect(files.length).toBeGreaterThan(1);
            expect(nodeOnly(files)).toEqual([]);
        });
    }

    it('catches a Node import in the protocol (the check itself works)', () => {
        const fake: SourceFile = { file: 'x.ts', specifiers: ['node:fs', 'fabric-contract-api'], text: "const n = Buffer.byteLength('x');" };
        expect(nodeOnly([fake])).toEqual(['x.ts: imports node:fs', 'x.ts: imports fabric-contract-api', 'x.ts: uses Buffer']);
    });
});

describe('benches, scripts and examples', () => {
    for (const dir of ['bench', 'scripts', 'examples']) {
        it(`${dir}/ imports packages by their public entries, never by path`, () => {
            const wrong = sourceFiles(dir).flatMap((file) =>
                file.specifiers.filter((s) => /(^|\/)packages\/|\/dist\//.test(s)).map((s) => `${file.file}: ${s}`),
            );
            expect(wrong).toEqual([]);
        });
    }
});
