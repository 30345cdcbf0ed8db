import { Client, Connection } from '@temporalio/client';

/** A client and the task queue its workflows run on, handed to whatever starts workflows. */
export interface TemporalContext {
  client: Client;
  taskQueue: string;
}

export async function connectTemporal(address: string, namespace: string, taskQueue: string): Promise<TemporalContext & { close(): Promise<void> }> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  return { client, taskQueue, close: () => connection.close() };
}
