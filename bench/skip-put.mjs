#!/usr/bin/env node
// Benchmark: a put of bytes the local store already holds (a re-record of an unchanged
// checkpoint). The store checks its own copy before trusting it: size always, content only up to
// VERIFY_EXISTING_UP_TO (16 MiB). Compares that with re-hashing every existing object (the
// behaviour before the limit). Needs `npm run build`. Usage: node bench/skip-put.mjs
import { createLocalStore } from '@hyperprov/storage';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os'; import path from 'node:path';
const dir = await mkdtemp(path.join(os.tmpdir(), 'skip-'));
const file = path.join(dir, 'big.bin'); const bytes = randomBytes(256 * 2 ** 20); await writeFile(file, bytes);
const checksum = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
for (const [name, limit] of [['size only (now, >16 MiB)', undefined], ['re-hash (before)', Infinity]]) {
  const store = createLocalStore({ root: path.join(dir, 'store'), ...(limit !== undefined && { verifyExistingUpTo: limit }) });
  await store.put(createReadStream(file), { checksum, size: bytes.length });
  const t = []; for (let i = 0; i < 5; i++) { const s = performance.now(); const r = await store.put(createReadStream(file), { checksum, size: bytes.length }); t.push(performance.now() - s); if (!r.skipped) throw new Error('not skipped'); }
  t.sort((a, b) => a - b); console.log(`${name}: skipped put of a stored 256 MiB object, median ${t[2].toFixed(1)} ms`);
  await store.close();
}
await rm(dir, { recursive: true, force: true });
