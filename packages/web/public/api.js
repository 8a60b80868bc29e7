// The REST API as the page uses it. The bearer token comes once in the URL fragment
// (`/#token=…`, which the browser never sends to a server) and is kept in sessionStorage.
const TOKEN_KEY = 'hyperprov.token';

export function takeTokenFromUrl() {
    const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (match) {
        sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
        history.replaceState(null, '', `${location.pathname}#/`);
    }
    return sessionStorage.getItem(TOKEN_KEY);
}

/** Calls the API; throws an Error whose message is the server's JSON error (code and message). */
export async function api(path, options = {}) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const response = await fetch(path, {
        ...options,
        headers: { ...(options.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers },
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
        const error = body?.error;
        throw new Error(error ? `[${error.code}] ${error.message}${error.hint ? ` (${error.hint})` : ''}` : `HTTP ${response.status}`);
    }
    return body;
}

export const q = encodeURIComponent;
