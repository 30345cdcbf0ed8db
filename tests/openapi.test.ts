// The API describes itself: an OpenAPI 3 document that lists every route with its request and
// response schemas, and an interactive page to try it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.js';
import { apiRoutes } from './support/routes.js';

interface Schema {
  type?: string;
  properties?: Record<string, unknown>;
  $ref?: string;
  [key: string]: unknown;
}
interface Operation {
  summary?: string;
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
  security?: unknown[];
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
}

/** Fastify's `/jobs/:id` is OpenAPI's `/jobs/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

describe('the OpenAPI document', () => {
  let stack: Stack;
  let doc: Document;

  beforeAll(async () => {
    stack = await startStack({ px: false });
    const answer = await stack.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(answer.statusCode, 'served without a token').toBe(200);
    doc = answer.json<Document>();
  });
  afterAll(async () => stack?.stop());

  it('is OpenAPI 3 with bearer authentication', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Syncline API');
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
  });

  it('lists every registered route, and nothing that is not one', () => {
    const registered = apiRoutes(stack.app).map((r) => `${r.method} ${openApiPath(r.url)}`).sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(registered.length).toBeGreaterThan(20);
    expect(documented).toEqual(registered);
  });

  it('describes every path parameter, query and body the routes validate', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      const inPath = [...path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]);
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.summary, `${where} has a summary`).toBeTruthy();
        for (const name of inPath) {
          const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
          expect(parameter?.schema, `${where} documents {${name}}`).toBeDefined();
        }
        for (const parameter of operation.parameters ?? []) expect(parameter.schema, `${where} ${parameter.name}`).toBeDefined();
        if (method === 'put' || method === 'patch') {
          expect(operation.requestBody?.content['application/json']?.schema, `${where} documents its body`).toBeDefined();
        }
      }
    }
    const query = (path: string, method = 'get') => (doc.paths[path]![method]!.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    expect(query('/v1/jobs')).toEqual(expect.arrayContaining(['limit', 'cursor', 'connectionId']));
    expect(query('/v1/logs')).toEqual(expect.arrayContaining(['type', 'connector', 'connectionId', 'jobId', 'limit', 'cursor']));
    expect(doc.paths['/v1/logs']!.get!.parameters!.find((p) => p.name === 'type')).toMatchObject({ required: true, schema: { enum: ['audit', 'execution', 'connection'] } });

    const body = (path: string, method: string) => doc.paths[path]![method]!.requestBody?.content['application/json']?.schema;
    expect(body('/v1/connections', 'post')?.properties).toHaveProperty('connector');
    expect(body('/v1/jobs', 'post')?.properties).toHaveProperty('mappings');
    expect(body('/v1/jobs/{id}', 'patch')?.properties).toHaveProperty('notifications');
    expect(body('/v1/jobs/{id}/import-from-date', 'post')?.properties).toHaveProperty('from');
    expect(body('/v1/jobs/{id}/schedule', 'put')).toBeDefined();
  });

  it('describes what every route answers, success and error alike', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        const success = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'));
        expect(success.length, `${where} documents a 2xx answer`).toBeGreaterThan(0);
        for (const [status, response] of success) {
          if (status === '204') continue;
          const schemas = Object.values(response.content ?? {}).map((c) => c.schema);
          expect(schemas.length > 0 && schemas.every((s) => s !== undefined), `${where} ${status} has a schema`).toBe(true);
        }
        if (path.startsWith('/v1/')) {
          const error = operation.responses['400'] ?? operation.responses['404'] ?? operation.responses['401'];
          expect(error?.content?.['application/json']?.schema, `${where} documents the error shape`).toBeDefined();
        }
      }
    }
    expect(doc.components.schemas).toHaveProperty('Error');
    expect(doc.components.schemas).toHaveProperty('Job');
    expect(doc.components.schemas).toHaveProperty('Run');
  });

  it('groups every route under one tag, in the order the document lists the tags', () => {
    const tags = ((doc as unknown as { tags?: { name: string }[] }).tags ?? []).map((t) => t.name);
    expect(tags).toEqual(['connections', 'jobs', 'runs', 'chains', 'logs', 'objects', 'bulk', 'health']);
    const byTag = new Map<string, string[]>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const operationTags = (operation as Operation & { tags?: string[] }).tags ?? [];
        expect(operationTags, `${method.toUpperCase()} ${path}`).toHaveLength(1);
        expect(tags).toContain(operationTags[0]);
        byTag.set(operationTags[0]!, [...(byTag.get(operationTags[0]!) ?? []), `${method.toUpperCase()} ${path}`]);
      }
    }
    expect(byTag.get('runs')).toEqual(expect.arrayContaining(['GET /v1/runs', 'GET /v1/runs/{id}', 'GET /v1/runs/{id}/errors', 'POST /v1/runs/{id}/cancel']));
    expect(byTag.get('jobs')).toEqual(expect.arrayContaining(['POST /v1/jobs/{id}/import-now', 'GET /v1/jobs/{id}/runs']));
    expect(byTag.get('bulk')).toEqual(expect.arrayContaining(['POST /v1/bulk/jobs/{jobId}/files']));
    expect(byTag.get('health')).toEqual(['GET /healthz']);
  });

  it('serves the interactive page at /docs without a token', async () => {
    let answer = await stack.app.inject({ method: 'GET', url: '/docs' });
    if (answer.statusCode >= 300 && answer.statusCode < 400) answer = await stack.app.inject({ method: 'GET', url: String(answer.headers.location) });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toContain('text/html');
    expect(answer.body).toContain('swagger-ui');
    const initializer = await stack.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
  });
});
