export { getLineage, lineageLevels, type Lineage, type GetLineageOptions, type LineageEntry } from './lineage.js';
export { renderLineageTree, renderLineageDot, describeRecord, type LineageDirection } from './lineage-format.js';
