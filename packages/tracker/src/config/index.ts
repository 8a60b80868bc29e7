export { findProjectDir, projectPaths, HYPERPROV_DIRNAME, CONFIG_FILENAME, type ProjectDir } from './project-dir.js';
export {
    CONFIG_VERSION,
    defaultConfig,
    readConfig,
    parseConfig,
    writeConfig,
    resolveConfigPath,
    type TrackerConfig,
    type LedgerConfig,
    type EmbeddedLedgerConfig,
    type FabricLedgerConfig,
} from './config.js';
