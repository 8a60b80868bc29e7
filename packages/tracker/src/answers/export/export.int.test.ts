/**
 * Exports of a real recorded run, read back by third-party tools: the `prov` package from PyPI
 * parses the PROV-JSON into the same graph, Graphviz renders the DOT, and OpenLineage's own Python
 * client accepts every run event. The Python packages are installed once into the cache.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTracker, openTracker, type EpochResult, type Tracker } from '../../index.js';

let dir: string;
let tracker: Tracker;
let last: EpochResult;
let pythonPath: string;

const PY_PACKAGES = ['prov==3.2.3', 'openlineage-python==1.54.0'];

/** pip-installs the checkers once into ${HYPERPROV_CACHE:-~/.cache/hyperprov}/python/<hash of the list>. */
function ensurePythonPackages(): string {
    const cache = process.env.HYPERPROV_CACHE ?? path.join(homedir(), '.cache', 'hyperprov');
    const target = path.join(cache, 'python', PY_PACKAGES.join('_').replace(/[^A-Za-z0-9._-]/g, '_'));
    if (!existsSync(path.join(target, '.complete'))) {
        execFileSync('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', target, ...PY_PACKAGES], { stdio: 'inherit', timeout: 600_000 });
        execFileSync('touch', [path.join(target, '.complete')]);
    }
    return target;
}

function python(script: string, input: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = execFile('python3', ['-c', script], { env: { ...process.env, PYTHONPATH: pythonPath }, timeout: 60_000 }, (error, stdout, stderr) => {
            if (error) reject(new Error(`python failed: ${stderr || error.message}`));
            else resolve(stdout);
        });
        child.stdin?.end(input);
    });
}

/** Debian's graphviz, installed with apt-get when missing (needs root, as the sshfs tests do). */
function ensureGraphviz(): void {
    if (existsSync('/usr/bin/dot')) return;
    if (process.getuid?.() !== 0) throw new Error('Graphviz is missing; install it with: sudo apt-get install -y graphviz');
    const options = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'inherit' as const, timeout: 600_000 };
    execFileSync('apt-get', ['update', '-qq', '-o', 'DPkg::Lock::Timeout=600'], options);
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', 'graphviz'], options);
}

beforeAll(async () => {
    pythonPath = ensurePythonPackages();
    ensureGraphviz();
    dir = await mkdtemp(path.join(tmpdir(), 'hp-export-'));
    await initTracker({ dir, durability: 'none' });
    for (const name of ['train', 'test']) {
        await mkdir(path.join(dir, name));
        await writeFile(path.join(dir, name, 'x.csv'), `${name} rows`);
    }
    tracker = await openTracker({ dir, run: 'export-run' });
    for (let epoch = 0; epoch < 3; epoch++) {
        await writeFile(path.join(dir, 'model "v1".pt'), `weights ${epoch}`);
        last = await (await tracker.epoch({ model: path.join(dir, 'model "v1".pt'), epoch, metrics: { loss: 1 / (epoch + 1) }, datasets: { train: path.join(dir, 'train'), test: path.join(dir, 'test') } })).committed;
    }
}, 600_000);

afterAll(async () => {
    await tracker?.close();
    await rm(dir, { recursive: true, force: true });
});

describe('export', { timeout: 60_000 }, () => {
    it('PROV-JSON is read back by the prov package with the same entities, activities, agents and relations', async () => {
        const exported = await tracker.export(last.record.id, { format: 'prov-json' });
        const doc = JSON.parse(exported.text);
        // 3 checkpoints + 2 manifests; each checkpoint has an activity; one creator.
        expect(Object.keys(doc.entity)).toHaveLength(5);
        expect(Object.keys(doc.activity)).toHaveLength(3);
        const summary = JSON.parse(
            await python(
                `
import sys, json
from prov.model import ProvDocument
doc = ProvDocument.deserialize(content=sys.stdin.read(), format='json')
kinds = {}
for r in doc.get_records():
    kinds[r.get_type().localpart] = kinds.get(r.get_type().localpart, 0) + 1
derived = sorted((str(r.formal_attributes[0][1]), str(r.formal_attributes[1][1])) for r in doc.get_records() if r.get_type().localpart == 'Derivation')
print(json.dumps({'kinds': kinds, 'derived': derived}))
`,
                exported.text,
            ),
        );
        expect(summary.kinds).toMatchObject({ Entity: 5, Activity: 3, Agent: 1, Usage: 8, Generation: 3, Derivation: 8, Attribution: 5, Association: 3 });
        expect(summary.derived).toContainEqual([`rec:${last.record.id}`, `rec:${last.previous}`]);
    });

    it('DOT renders with Graphviz, Mermaid names every record, down exports what was built from a dataset', async () => {
        const dot = await tracker.export(last.record.id, { format: 'dot' });
        const svg = execFileSync('dot', ['-Tsvg'], { input: dot.text }).toString();
        expect(svg).toContain('<svg');
        expect(svg.match(/class="node"/g)).toHaveLength(5);
        expect(dot.text.match(/->/g)).toHaveLength(8);
        const mermaid = await tracker.export(last.record.id, { format: 'mermaid' });
        expect(mermaid.text.startsWith('flowchart LR\n')).toBe(true);
        expect(mermaid.text.match(/-->/g)).toHaveLength(8);
        expect(mermaid.text).toContain('model #34;v1#34;.pt');
        expect(mermaid.text.match(/:::checkpoint/g)).toHaveLength(3);
        const down = await tracker.export(last.datasets.train as string, { format: 'mermaid', direction: 'down' });
        expect(down.text.match(/:::checkpoint/g)).toHaveLength(3);
        await expect(tracker.export(last.record.id, { format: 'xml' as never })).rejects.toThrow(/prov-json, dot, mermaid, openlineage/);
    });

    it('OpenLineage run events: a job and run per training run, checkpoints as outputs, manifests as inputs; accepted by the OpenLineage client', async () => {
        const exported = await tracker.export(last.record.id, { format: 'openlineage' });
        const events = exported.text.trim().split('\n').map((line) => JSON.parse(line));
        expect(events.map((e) => e.eventType)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'COMPLETE']);
        expect(new Set(events.map((e) => e.run.runId)).size).toBe(1);
        expect(events[3].outputs[0].facets.version.datasetVersion).toBe(last.record.id);
        expect(events[0].inputs.map((i: { name: string }) => i.name).sort()).toEqual(['datasets/test', 'datasets/train']);
        // The client's typed event classes validate runId (a UUID), eventTime and the facets; each
        // event is rebuilt from our JSON and serialised back unchanged.
        const result = await python(
            `
import sys, json
from openlineage.client.serde import Serde
from openlineage.client.event_v2 import RunEvent, RunState, Run, Job, InputDataset, OutputDataset
from openlineage.client.facet_v2 import dataset_version_dataset
def ds(cls, d):
    v = d['facets']['version']
    return cls(namespace=d['namespace'], name=d['name'], facets={'version': dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=v['datasetVersion'])})
for line in sys.stdin:
    e = json.loads(line)
    ev = RunEvent(eventType=RunState[e['eventType']], eventTime=e['eventTime'], run=Run(runId=e['run']['runId']), job=Job(namespace=e['job']['namespace'], name=e['job']['name']), producer=e['producer'], inputs=[ds(InputDataset, d) for d in e['inputs']], outputs=[ds(OutputDataset, d) for d in e['outputs']])
    back = Serde.to_dict(ev)
    assert back['run']['runId'] == e['run']['runId'] and back['eventType'] == e['eventType'], back
    assert [o['name'] for o in back['outputs']] == [o['name'] for o in e['outputs']]
print('ok')
`,
            exported.text,
        );
        expect(result.trim()).toBe('ok');
    });
});
