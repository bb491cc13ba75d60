/** Dead-letter analysis: streaming line reader, envelope parsing, breakdown, samples, drift. */
export { MAX_LINE_BYTES, isGzipKey, readLineChunks, readLines, type Line, type ReadLinesOptions } from './lines';
export {
  ERROR_TYPES,
  firehoseErrorType,
  isErrorType,
  parseDlqLine,
  readEnvelope,
  readEnvelopeFast,
  recordId,
  type DlqFormat,
  type DlqRecord,
  type ErrorType,
  type ParsedLine,
  type SourcePosition,
} from './envelope';
export { defaultMasker, ibanValid, luhnValid, Masker, maskSecrets, samplePayload, truncate } from './mask';
export { MAX_FIELD_DEPTH, fieldPaths, payloadObject, splitConcatenatedJson } from './fields';
export { FieldCounter, alikeNames, detectDrift, type DriftOptions, type DriftReport } from './drift';
export {
  BreakdownBuilder,
  severityFromRate,
  shareOf,
  zeroCounts,
  type BreakdownOptions,
  type DlqBreakdown,
  type DlqSample,
  type TypeCounts,
} from './breakdown';
export {
  QUARANTINE_DIR,
  hourPrefix,
  newestObjects,
  objectLineChunks,
  objectLines,
  type NewestObjects,
  type NewestObjectsOptions,
  type ObjectLinesOptions,
  type ObjectStorePort,
} from './objects';
export { sampleDlq, sampleReference, type DlqSampleResult, type ReferenceSampleResult, type SampleLimits } from './sample';
