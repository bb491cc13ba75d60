import type { AwsClientOptions } from '../adapters/clients';
import { DynamoStore } from '../adapters/dynamodb';
import { Ledger, type LedgerOptions } from '../ledger/ledger';

/** The ledger on its DynamoDB table (the DynamoDB adapter is its ItemStore). */
export function dynamoLedger(opts: AwsClientOptions, tableName: string, options: LedgerOptions = {}): Ledger {
  return new Ledger(DynamoStore.fromOptions(opts, tableName), options);
}
