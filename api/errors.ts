// Every 4xx the API sends is shaped here: a machine code, a sentence a person can act on, and the
// fields at fault.

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details: ErrorDetail[] = []) => new ApiError(400, 'invalid_request', message, details);
export const notFound = (what: string, id: string) => new ApiError(404, 'not_found', `${what} "${id}" does not exist.`);
export const conflict = (code: string, message: string, details: ErrorDetail[] = []) => new ApiError(409, code, message, details);
export const unprocessable = (code: string, message: string, details: ErrorDetail[] = []) => new ApiError(422, code, message, details);

export const invalid = (details: ErrorDetail[]) =>
  badRequest(details.map((d) => `${d.path || 'body'}: ${d.message}`).join('; '), details);
