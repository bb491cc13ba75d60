import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ledgerCreateTableInput } from '../../lambdas/ledger/table';

/**
 * The ledger's DynamoDB for a drill: dynalite in this process, in memory, speaking the real
 * DynamoDB protocol (conditional writes included), with the ledger table created as the stack
 * creates it.
 */

export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDSTREAMFIXDRILL00', secretAccessKey: 'streamfix-drill-secret-not-a-real-key' } as const;

export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

export async function startLocalDynamo(tableName: string, region: string): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ region, endpoint, credentials: FAKE_CREDENTIALS });
  try {
    await client.send(new CreateTableCommand(ledgerCreateTableInput(tableName)));
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
