/**
 * @hyperprov/errors: the one error type HyperProv throws, its closed set of codes, and what each
 * code means at every surface (exit code, HTTP status, hint, JSON error document). No
 * dependencies and no Node imports, so the CLI, the server and a browser page share it.
 */
export { TrackerError, isTrackerError, TRACKER_ERROR_CODES, type TrackerErrorCode, type TrackerErrorOptions } from './tracker-error.js';
export { EXIT_CODES, HTTP_STATUSES, ERROR_HINTS } from './error-tables.js';
export { errorDocument, fromErrorDocument, toTrackerError, type ErrorDocument } from './error-document.js';
