/**
 * @hyperprov/cli/testing: helpers for code that checks the CLI from outside (benches), built with
 * the package. The vitest helpers of the package's own tests are not exported here.
 */
export { fabricFiles, loadedModules } from './loaded-modules.js';
