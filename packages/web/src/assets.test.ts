/** The page's files as the server will serve them: each exists, and everything the page loads is one of them. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { webAssets } from './index.js';

describe('webAssets', () => {
    const assets = webAssets();
    const routes = new Set(assets.map((asset) => asset.route));

    it('every asset file exists and has a media type', () => {
        for (const asset of assets) {
            expect(existsSync(asset.file), asset.file).toBe(true);
            expect(asset.contentType).toMatch(/^(text\/(html|javascript|css)); charset=utf-8$/);
        }
        expect(routes.has('/')).toBe(true);
    });

    it('every module, script and stylesheet the page loads is a served route', () => {
        const loaded = new Set<string>();
        for (const asset of assets.filter((a) => a.route !== '/assets/cytoscape.mjs')) {
            const text = readFileSync(asset.file, 'utf8');
            // Module specifiers resolve against the importing file's address, as the browser does.
            const resolve = (spec: string): string => new URL(spec, `http://page${asset.route}`).pathname;
            for (const [, spec] of text.matchAll(/\bfrom\s+'([^']+)'/g)) loaded.add(resolve(spec as string));
            for (const [, spec] of text.matchAll(/\b(?:src|href)="(\/[^"]*)"/g)) loaded.add(resolve(spec as string));
        }
        const missing = [...loaded].filter((spec) => !routes.has(spec));
        expect(missing).toEqual([]);
        expect(loaded.size).toBeGreaterThanOrEqual(6);
        expect(loaded.has('/assets/cytoscape.mjs')).toBe(true);
    });
});
