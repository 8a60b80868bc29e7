/**
 * @hyperprov/web: the static files of the project server's web page and where they are on disk.
 * The page is plain ES modules (no build step): the server serves `public/` at `/` and the graph
 * library's ES module at `/assets/cytoscape.mjs`. It holds no data: everything comes from the REST
 * API with the bearer token the page reads once from its URL fragment (`/#token=…`).
 *
 * ```ts
 * import { webAssets } from '@hyperprov/web';
 * for (const asset of webAssets()) app.get(asset.route, (_, reply) => reply.type(asset.contentType).send(createReadStream(asset.file)));
 * ```
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the page needs: the route it is served at, the file, and its media type. */
export interface WebAsset {
    route: string;
    file: string;
    contentType: string;
}

const PUBLIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'public');

/** Every file of the page. */
export function webAssets(): WebAsset[] {
    return [
        { route: '/', file: path.join(PUBLIC, 'index.html'), contentType: 'text/html; charset=utf-8' },
        { route: '/app.js', file: path.join(PUBLIC, 'app.js'), contentType: 'text/javascript; charset=utf-8' },
        { route: '/api.js', file: path.join(PUBLIC, 'api.js'), contentType: 'text/javascript; charset=utf-8' },
        { route: '/graph.js', file: path.join(PUBLIC, 'graph.js'), contentType: 'text/javascript; charset=utf-8' },
        { route: '/plot.js', file: path.join(PUBLIC, 'plot.js'), contentType: 'text/javascript; charset=utf-8' },
        { route: '/style.css', file: path.join(PUBLIC, 'style.css'), contentType: 'text/css; charset=utf-8' },
        { route: '/assets/cytoscape.mjs', file: fileURLToPath(import.meta.resolve('cytoscape/dist/cytoscape.esm.min.mjs')), contentType: 'text/javascript; charset=utf-8' },
    ];
}
