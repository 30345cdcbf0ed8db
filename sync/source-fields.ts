// The source fields a job reads, for sources that can say up front whether they hold them (a file's
// header) or fetch only those.
import type { DerivedMapping, FilterSpec, Mapping } from './types.js';

export function sourceFieldsOf(job: { mappings: Mapping[]; derivedMappings: DerivedMapping[]; filters: FilterSpec }): string[] {
  const fields = [
    ...job.mappings.map((m) => m.source),
    ...job.derivedMappings.flatMap((d) => d.match.map((m) => m.source)),
    ...job.filters.conditions.map((c) => c.field),
  ];
  return [...new Set(fields)];
}
