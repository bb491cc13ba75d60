/**
 * KMS keys, as state only: whether each key is enabled. The code under drill never calls KMS;
 * simulated services that encrypt with a key (Firehose writing to S3) ask `enabled`, and a
 * scenario disables or enables a key with `kms-key`.
 */
export class SimKms {
  private readonly keys = new Map<string, boolean>();

  addKey(arn: string, enabled = true): void {
    this.keys.set(arn, enabled);
  }

  setEnabled(arn: string, enabled: boolean): void {
    if (!this.keys.has(arn)) throw new Error(`no simulated KMS key ${arn}`);
    this.keys.set(arn, enabled);
  }

  exists(arn: string): boolean {
    return this.keys.has(arn);
  }

  enabled(arn: string): boolean {
    return this.keys.get(arn) === true;
  }
}
