import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ledgerCreateTableInput } from '../../lambdas/ledger/table';
import type { AwsClientOptions } from '../../lambdas/adapters/clients';

/** A real DynamoDB protocol peer on loopback, started and stopped by the test. */
export async function startDynalite(tableName = 'streamfix-test'): Promise<{ aws: AwsClientOptions; tableName: string; close(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const aws: AwsClientOptions = {
    region: 'eu-west-1',
    endpoints: { dynamodb: `http://127.0.0.1:${port}` },
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
  const client = new DynamoDBClient({ region: aws.region, endpoint: aws.endpoints!.dynamodb, credentials: aws.credentials });
  await client.send(new CreateTableCommand(ledgerCreateTableInput(tableName)));
  client.destroy();
  return { aws, tableName, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
