export { decodeBlobBase64 } from './blob-encoding';
export {
  inspectArchive,
  EXPANSION_RATIO_FLOOR_BYTES,
  type ArchiveInspection,
  type ArchiveLimits,
} from './archive-inspector';
export {
  parseChartMetadata,
  CHART_FILE_NAMES,
  MAX_CHART_FILE_BYTES,
  type ChartMaintainer,
  type ChartMetadata,
  type ChartMetadataResult,
} from './chart-metadata';
export { readTarEntries, type TarEntry, type TarEntryType } from './tar-reader';
