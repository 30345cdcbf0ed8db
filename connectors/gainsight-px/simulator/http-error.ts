// Every answer the simulator gives on purpose, other than 200, is made here so that the error body
// has one shape. PX's real error body is not documented; this one is a plausible guess that clients
// must not depend on.

export class SimulatorHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'SimulatorHttpError';
  }
}

export const badRequest = (message: string): SimulatorHttpError => new SimulatorHttpError(400, message);
export const notFound = (message: string): SimulatorHttpError => new SimulatorHttpError(404, message);

export function errorBody(status: number, message: string): { externalapierror: { status: number; message: string } } {
  return { externalapierror: { status, message } };
}
