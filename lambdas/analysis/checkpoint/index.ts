/** Reading and repairing streaming checkpoints on S3 (Spark Structured Streaming, Flink). */
export * from './spark-files';
export * from './listing';
export * from './spark';
export { assessSpark, keysToRead, type SparkAssessment, type AssessInput } from './spark-assess';
export * from './state';
export * from './flink';
export * from './backup';
export * from './coverage';
export * from './rollback';
export * from './restore';
