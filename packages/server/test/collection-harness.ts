/**
 * A small campaign world for collection tests: a database (either engine) with a county's policy
 * opened as a campaign and people imported through the real import pipeline, plus a context
 * factory with a controllable clock.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCampaign } from '../src/collection/campaign.ts';
import type { CollectionContext } from '../src/collection/context.ts';
import type { DatabaseHandle } from '../src/db/open.ts';
import { type ImportOptions, importFile } from '../src/registry/import.ts';
import { IMPORT_KINDS } from '../src/registry/kinds/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'canbao-collection-'));
let fileCounter = 0;

/** Writes CSV lines to a fresh file and returns its path. */
export function csvFile(lines: readonly string[]): string {
  const path = join(dir, `f${fileCounter++}.csv`);
  writeFileSync(path, lines.join('\n'));
  return path;
}

/** A check character for the 17 digits of an identity number (GB 11643). */
export function idNumber(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((n, d, i) => n + Number(d) * (weights[i] as number), 0);
  return first17 + '10X98765432'[sum % 11];
}

export interface World {
  readonly handle: DatabaseHandle;
  readonly countyCode: string;
  /** A context acting as `actor` on `today` (the instant is today at noon, Shanghai). */
  ctx(today: string, actor?: string): CollectionContext;
  importKind(kind: string, lines: readonly string[], extra?: Partial<ImportOptions>): Promise<void>;
  personId(docNumber: string): Promise<number>;
}

export async function campaignWorld(
  handle: DatabaseHandle,
  policyId: string,
  countyCode: string,
  openedOn: string,
): Promise<World> {
  await openCampaign(handle.db, {
    countyCode,
    policyRef: policyId,
    actor: 'bureau',
    now: `${openedOn}T04:00:00.000Z`,
  });
  return {
    handle,
    countyCode,
    ctx: (today, actor = 'tester') => ({
      db: handle.db,
      countyCode,
      actor,
      today,
      now: `${today}T04:00:00.000Z`,
    }),
    async importKind(kind, lines, extra = {}) {
      const result = await importFile({
        handle,
        kind: IMPORT_KINDS[kind] as ImportOptions['kind'],
        file: csvFile(lines),
        countyCode,
        today: openedOn,
        ...extra,
      });
      if (result.status !== 'completed') throw new Error(`import ${kind} failed: ${JSON.stringify(result)}`);
    },
    async personId(docNumber) {
      const row = await handle.db
        .selectFrom('people')
        .select('id')
        .where('county_code', '=', countyCode)
        .where('doc_number', '=', docNumber)
        .executeTakeFirstOrThrow();
      return row.id;
    },
  };
}
