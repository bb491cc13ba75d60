import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';

/**
 * Powertools Logger and Metrics for the code under drill. They behave as in Lambda, but what
 * they would print to stdout (JSON log lines, EMF metric blobs) is handed to the drill instead,
 * so the drill's own timeline stays readable and logs/metrics land in the drill record.
 */

export type LogSink = (attributes: Record<string, unknown>) => void;
export type EmfSink = (emf: Record<string, unknown>) => void;

export class DrillLogger extends Logger {
  private drillSink: LogSink | undefined;

  constructor(sink: LogSink, options: ConstructorOptions = {}) {
    super(options);
    this.drillSink = sink;
  }

  protected override printLog(_level: number, log: LogItem): void {
    log.prepareForPrint();
    this.drillSink?.(log.getAttributes() as Record<string, unknown>);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new DrillLogger(this.drillSink ?? (() => undefined), options);
  }
}

/** Metrics that publish their EMF output to a sink instead of stdout. */
export class DrillMetrics extends Metrics {
  constructor(
    private readonly emfSink: EmfSink,
    private readonly drillOptions: MetricsOptions = {},
  ) {
    super(drillOptions);
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics()) this.emfSink(this.serializeMetrics() as unknown as Record<string, unknown>);
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }

  override singleMetric(): Metrics {
    return new DrillMetrics(this.emfSink, { ...this.drillOptions, singleMetric: true });
  }
}
