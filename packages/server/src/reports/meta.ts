/**
 * The header facts of a report: which region (checked to be the county or inside it), which
 * campaign and policy.
 */
import { findCampaign } from '../collection/campaign.ts';
import { type CollectionContext, CollectionError } from '../collection/context.ts';
import type { ReportMeta, ReportScope } from './report.ts';

export async function reportMeta(ctx: CollectionContext, scope: ReportScope): Promise<ReportMeta> {
  if (!scope.regionCode.startsWith(ctx.countyCode)) {
    throw new CollectionError('region_scope', `区划 ${scope.regionCode} 不在县级区划 ${ctx.countyCode} 内`);
  }
  const region = await ctx.db
    .selectFrom('regions')
    .select(['code', 'name'])
    .where('code', '=', scope.regionCode)
    .executeTakeFirst();
  if (!region) throw new CollectionError('unknown_region', `未知的区划代码“${scope.regionCode}”`);
  const { campaign, policy } = await findCampaign(ctx.db, ctx.countyCode, scope.benefitYear);
  return {
    regionCode: region.code,
    regionName: region.name,
    asOf: scope.asOf,
    campaign: {
      benefit_year: campaign.benefit_year,
      policy_id: campaign.policy_id,
      policy_hash: campaign.policy_hash,
    },
    policy: { id: policy.id, title: policy.title },
  };
}
