/** Every import kind, by the name the CLI and API use. */
import type { ImportKind } from '../kind.ts';
import { groups } from './groups.ts';
import { ecert, enrollment, external, students } from './others.ts';
import { population } from './population.ts';
import { regions } from './regions.ts';
import { targets } from './targets.ts';

export const IMPORT_KINDS: Readonly<Record<string, ImportKind<unknown>>> = Object.fromEntries(
  [regions, population, enrollment, groups, students, external, ecert, targets].map((k) => [
    k.kind,
    k as ImportKind<unknown>,
  ]),
);
