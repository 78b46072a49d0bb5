/**
 * Every report canbao has, by name. Add a report by adding its definition here.
 */
import type { ReportDefinition } from './report.ts';

export const REPORTS: readonly ReportDefinition[] = [];

export function reportByName(name: string): ReportDefinition | undefined {
  return REPORTS.find((r) => r.name === name);
}
