// Checks shared by connectors' job options: every option is known, and a page size is a whole
// number the source can serve. A bad option is a 400 when the job is saved, never a run that fails.
export interface OptionProblem {
  path: string;
  message: string;
}

export function unknownOptions(connectorName: string, options: Record<string, unknown>, known: readonly string[]): OptionProblem[] {
  return Object.keys(options)
    .filter((name) => !known.includes(name))
    .map((name) => ({
      path: `/options/${name}`,
      message: known.length === 0 ? `${connectorName} jobs take no options; remove "${name}"` : `${connectorName} jobs have no option "${name}"; use ${known.join(', ')}`,
    }));
}

export function pageSizeProblems(options: Record<string, unknown>, max: number): OptionProblem[] {
  const size = options.pageSize;
  if (size === undefined || (Number.isInteger(size) && (size as number) >= 1 && (size as number) <= max)) return [];
  return [{ path: '/options/pageSize', message: `pageSize must be a whole number from 1 to ${max}` }];
}
