/**
 * Every report canbao has, by name. Add a report by adding its definition here.
 */
import { fundsDefinition } from './funds.ts';
import { mobilisationDefinition } from './mobilisation.ts';
import { progressDefinition } from './progress.ts';
import { rankingDefinition } from './ranking.ts';
import type { ReportDefinition } from './report.ts';
import { screeningDefinition } from './screening.ts';
import { subsidiesDefinition } from './subsidies.ts';

export const REPORTS: readonly ReportDefinition[] = [
  progressDefinition,
  rankingDefinition,
  screeningDefinition,
  mobilisationDefinition,
  subsidiesDefinition,
  fundsDefinition,
];

export function reportByName(name: string): ReportDefinition | undefined {
  return REPORTS.find((r) => r.name === name);
}
