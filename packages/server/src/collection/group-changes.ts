/**
 * After a department list changed people's groups during a campaign, those of them not yet paid
 * are reassessed at once (what collectors and residents see is the new amount). Shared by the
 * command line and the web upload.
 */
import type { ImportResult } from '../registry/import.ts';
import type { GroupChange } from '../registry/kinds/groups.ts';
import { chunks } from '../registry/people.ts';
import { campaignCounties } from './campaign.ts';
import type { CollectionContext } from './context.ts';
import { reassessPending } from './enrollments.ts';

/** How many unpaid people got a new amount; null when there is nothing to do (no changes or no campaign). */
export async function reassessAfterGroupImport(
  ctx: CollectionContext,
  result: ImportResult,
): Promise<number | null> {
  const changes = (result.changes ?? []) as readonly GroupChange[];
  if (result.status !== 'completed' || changes.length === 0) return null;
  if (!(await campaignCounties(ctx.db)).includes(ctx.countyCode)) return null;
  const docs = [...new Set(changes.map((c) => c.docNumber))];
  const ids: number[] = [];
  for (const part of chunks(docs)) {
    const rows = await ctx.db
      .selectFrom('people')
      .select('id')
      .where('county_code', '=', ctx.countyCode)
      .where('doc_number', 'in', part)
      .execute();
    for (const r of rows) ids.push(r.id);
  }
  return (await reassessPending(ctx, { personIds: ids })).length;
}
