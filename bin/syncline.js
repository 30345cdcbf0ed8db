#!/usr/bin/env node
// The `syncline` command. Runs the TypeScript CLI through tsx (a dependency) when its source is
// here, as in a checkout or the npm package; otherwise the compiled copy in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../cli/main.ts', import.meta.url);
const cli = existsSync(fileURLToPath(source))
  ? await (await import('tsx/esm/api')).tsImport(source.href, import.meta.url)
  : await import(new URL('../dist/cli/main.js', import.meta.url).href);

const output = (stream) => ({ isTTY: Boolean(stream.isTTY), write: (text) => stream.write(text) });
process.exitCode = await cli.main(process.argv.slice(2), { env: process.env, stdout: output(process.stdout), stderr: output(process.stderr) });
