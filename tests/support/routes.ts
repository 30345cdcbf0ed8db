// Every route the app registered, read from Fastify's own route tree, so tests that must cover
// "every route" pick up routes added later without a list to keep in step.
import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  url: string;
}

/** `│   ├── /:id (GET, HEAD)`: the indent gives the depth; a node without methods is only a prefix. */
const LINE = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/;

export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const prefixes: string[] = [];
  const routes: RegisteredRoute[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    prefixes.length = depth;
    const url = (prefixes[depth - 1] ?? '') + match[2]!;
    prefixes[depth] = url;
    for (const method of (match[3] ?? '').split(',').map((m) => m.trim())) if (method && method !== 'HEAD') routes.push({ method, url });
  }
  return routes;
}

/** The routes of the API itself: not the interactive docs nor the document they read, nor the console's pages. */
export function apiRoutes(app: FastifyInstance): RegisteredRoute[] {
  return registeredRoutes(app).filter((r) => !r.url.startsWith('/docs') && r.url !== '/openapi.json' && !r.url.startsWith('/console'));
}

/** The console's pages and forms. */
export function consoleRoutes(app: FastifyInstance): RegisteredRoute[] {
  return registeredRoutes(app).filter((r) => r.url.startsWith('/console'));
}

/** A route's URL with every path parameter filled in. */
export function fill(url: string, value: string): string {
  return url.replace(/:[A-Za-z]+/g, encodeURIComponent(value));
}
