// The few command-line options the harness scripts take: `--name value` and `--flag`.

/** `--name value`, or `--name=value` (for values that start with `--`). */
export function optionValue(argv: string[], name: string): string | undefined {
  const inline = argv.find((arg) => arg.startsWith(`--${name}=`));
  if (inline !== undefined) return inline.slice(name.length + 3);
  const index = argv.indexOf(`--${name}`);
  if (index < 0) return undefined;
  const value = argv[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

export const hasFlag = (argv: string[], name: string): boolean => argv.includes(`--${name}`);

/** A positive integer from `--name`, else from the environment variable, else the default. */
export function positiveInteger(argv: string[], name: string, env: string, fallback: number): number {
  const raw = optionValue(argv, name) ?? process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} (or ${env}) must be a positive integer, got "${raw}"`);
  return value;
}
