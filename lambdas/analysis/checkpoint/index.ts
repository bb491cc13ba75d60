/** Reading and judging streaming checkpoints on S3 (Spark Structured Streaming, Flink). Pure but for the reads through an S3Reader. */
export * from './spark-files';
export * from './listing';
export * from './spark';
export { assessSpark, keysToRead, type SparkAssessment, type AssessInput } from './spark-assess';
export * from './state';
export * from './flink';
export * from './manifest';
export * from './compare';
export * from './coverage';
export * from './rollback-plan';
