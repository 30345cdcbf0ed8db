// Starts and stops the simulated PX API: /v1 is the PX REST API, /__sim drives the simulation.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../../simulators.js';
import { answerApi, type ApiContext } from './api-routes.js';
import { answerControl } from './control-routes.js';
import { PxDataset, type PxDataOptions } from './data.js';
import { PxFaults } from './faults.js';
import { SimulatorHttpError } from './http-error.js';
import { errorResponse, send, type SimResponse } from './http-io.js';
import { Lister } from './listing.js';
import { PxStats } from './stats.js';

export interface PxSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  apiKey: string;
  data: PxDataset | PxDataOptions;
}

export interface PxSimulator {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:4567/v1`. */
  readonly url: string;
  readonly port: number;
  readonly data: PxDataset;
  readonly faults: PxFaults;
  readonly stats: PxStats;
  close(): Promise<void>;
}

export async function startPxSimulator(options: PxSimulatorOptions): Promise<PxSimulator> {
  const data = options.data instanceof PxDataset ? options.data : new PxDataset(options.data);
  const context: ApiContext = { apiKey: options.apiKey, dataset: data, faults: new PxFaults(), stats: new PxStats(), lister: new Lister(data) };
  const server = createServer((req, res) => {
    void respond(context, req, res);
  });
  const listening = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: `${listening.origin}/v1`,
    port: listening.port,
    data,
    faults: context.faults,
    stats: context.stats,
    close: listening.close,
  };
}

async function respond(context: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const isApi = url.pathname === '/v1' || url.pathname.startsWith('/v1/');
  let response: SimResponse;
  try {
    if (isApi) response = await answerApi(context, req, url);
    else if (url.pathname.startsWith('/__sim/')) response = await answerControl(context, req, url);
    else throw new SimulatorHttpError(404, `No such endpoint: ${url.pathname}`);
  } catch (error) {
    response = errorResponse(asHttpError(error));
  }
  if (isApi) context.stats.recordStatus(response.status);
  send(res, response);
}

function asHttpError(error: unknown): SimulatorHttpError {
  if (error instanceof SimulatorHttpError) return error;
  // A bug in the simulator: say so loudly, and answer like a server that broke.
  console.error('PX simulator: unexpected error', error);
  return new SimulatorHttpError(500, 'Internal Server Error');
}
