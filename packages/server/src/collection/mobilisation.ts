/**
 * The mobilisation list (动员名单, DOMAIN.md §2.3): people certified in a subsidised group who still
 * have something to pay and have not paid — full-subsidy people are enrolled by the bureau, the
 * others go to their village to be visited. Built from the enrollments awaiting payment and from
 * certified people not yet enrolled (assessed now, so the amount shown is what they would pay).
 */
import { FactsError, groupLabel, isGroupCode } from '@canbao/core';
import { findCampaign } from './campaign.ts';
import { type CollectionContext, CollectionError } from './context.ts';
import { assessMany, type PersonAssessment } from './enrollments.ts';

export interface MobilisationRow {
  readonly villageCode: string | null;
  readonly villageName: string | null;
  readonly householdNumber: string | null;
  readonly personId: number;
  readonly name: string;
  readonly docNumber: string;
  readonly groups: string;
  readonly paysFen: number;
  readonly subsidyFen: number;
  /** 'awaiting_payment' (enrolled, not paid) or 'not_enrolled'. */
  readonly status: 'awaiting_payment' | 'not_enrolled';
}

export async function mobilisationList(
  ctx: CollectionContext,
  options: { readonly villageCode?: string; readonly benefitYear?: number } = {},
): Promise<MobilisationRow[]> {
  const { campaign, policy } = await findCampaign(ctx.db, ctx.countyCode, options.benefitYear);
  const certified = await ctx.db
    .selectFrom('person_groups')
    .innerJoin('people', 'people.id', 'person_groups.person_id')
    .leftJoin('households', 'households.id', 'people.household_id')
    .leftJoin('enrollments', (join) =>
      join
        .onRef('enrollments.person_id', '=', 'people.id')
        .on('enrollments.benefit_year', '=', campaign.benefit_year),
    )
    .select([
      'people.id as person_id',
      'people.name',
      'people.doc_number',
      'people.hukou_region_code',
      'people.deceased_on',
      'households.number as household_number',
      'households.village_code',
      'person_groups.group_code',
      'enrollments.status',
      'enrollments.pays_fen',
      'enrollments.subsidy_fen',
      'enrollments.refund_later_fen',
      'enrollments.village_code as enrollment_village',
    ])
    .where('person_groups.county_code', '=', ctx.countyCode)
    .where('person_groups.valid_from', '<=', ctx.today)
    .where((eb) =>
      eb.or([eb('person_groups.valid_to', 'is', null), eb('person_groups.valid_to', '>=', ctx.today)]),
    )
    .orderBy('people.id')
    .execute();

  const byPerson = new Map<number, (typeof certified)[number] & { groupCodes: string[] }>();
  for (const row of certified) {
    const seen = byPerson.get(row.person_id);
    if (seen) seen.groupCodes.push(row.group_code);
    else byPerson.set(row.person_id, { ...row, groupCodes: [row.group_code] });
  }
  const villages = new Map(
    (
      await ctx.db.selectFrom('regions').select(['code', 'name']).where('level', '=', 'village').execute()
    ).map((r) => [r.code, r.name]),
  );
  const rows: MobilisationRow[] = [];
  // Certified people not enrolled yet: what they would pay, assessed together.
  const unenrolled = [...byPerson.values()].filter((p) => p.status === null && !p.deceased_on);
  const assessed = await assessMany(
    ctx.db,
    ctx.countyCode,
    policy,
    unenrolled.map((p) => ({ personId: p.person_id, asOf: ctx.today })),
  );
  const quoteOf = new Map(
    unenrolled.map((p, n) => [p.person_id, assessed[n] as PersonAssessment | FactsError]),
  );
  for (const p of byPerson.values()) {
    if (p.deceased_on) continue;
    const village =
      p.enrollment_village ??
      p.village_code ??
      (p.hukou_region_code?.length === 12 ? p.hukou_region_code : null);
    if (options.villageCode && village !== options.villageCode && !village?.startsWith(options.villageCode)) {
      continue;
    }
    let status: MobilisationRow['status'];
    let pays: number;
    let subsidy: number;
    if (p.status === null) {
      const a = quoteOf.get(p.person_id) as PersonAssessment | FactsError;
      if (a instanceof FactsError) {
        throw new CollectionError('facts', `人员 #${p.person_id} 的登记信息不足以测算：${a.message}`);
      }
      if (!a.eligible || a.pays === 0 || a.subsidies.length === 0) continue;
      status = 'not_enrolled';
      pays = a.pays;
      subsidy = a.subsidies.reduce((n, s) => n + s.amount, 0);
    } else if (p.status === 'awaiting_payment' && Number(p.pays_fen) > 0) {
      subsidy = Number(p.subsidy_fen) + Number(p.refund_later_fen);
      if (subsidy === 0) continue;
      status = 'awaiting_payment';
      pays = Number(p.pays_fen);
    } else {
      continue;
    }
    rows.push({
      villageCode: village,
      villageName: village ? (villages.get(village) ?? null) : null,
      householdNumber: p.household_number,
      personId: p.person_id,
      name: p.name,
      docNumber: p.doc_number,
      groups: p.groupCodes.map((g) => (isGroupCode(g) ? groupLabel(g) : g)).join('、'),
      paysFen: pays,
      subsidyFen: subsidy,
      status,
    });
  }
  return rows.sort(
    (a, b) =>
      (a.villageCode ?? '').localeCompare(b.villageCode ?? '') ||
      (a.householdNumber ?? '').localeCompare(b.householdNumber ?? '') ||
      a.personId - b.personId,
  );
}
