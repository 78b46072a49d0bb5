/**
 * A campaign binds a county and a benefit year to one policy, stored with its exact text: every
 * assessment made during the campaign names that policy's hash, and editing the file on disk
 * later changes nothing until the bureau opens the campaign again with the new text.
 */
import { basename } from 'node:path';
import type { Policy } from '@canbao/core';
import type { Kysely } from 'kysely';
import type { Campaign, Database } from '../db/schema.ts';
import { policyFromSource, readPolicySource } from '../policy/repository.ts';
import { CollectionError } from './context.ts';

export interface OpenCampaignInput {
  /** The county (pooling region); default: the county of the policy's region. */
  readonly countyCode?: string;
  /** A policy id (policies/<id>.yaml) or a path. */
  readonly policyRef: string;
  readonly actor: string;
  readonly now: string;
}

export interface OpenedCampaign {
  readonly campaign: Campaign;
  readonly policy: Policy;
  /** 'opened' the first time; 'unchanged' for the same text again; 'updated' for a new text. */
  readonly outcome: 'opened' | 'unchanged' | 'updated';
}

/**
 * Opens (or re-opens with a new text) the campaign for the policy's county and benefit year. A new
 * text is refused once anyone has paid under the old one: a policy does not change under people
 * who have paid by it.
 */
export async function openCampaign(db: Kysely<Database>, input: OpenCampaignInput): Promise<OpenedCampaign> {
  const source = readPolicySource(input.policyRef);
  const policy = policyFromSource(source);
  const countyCode = input.countyCode || policy.region.code.slice(0, 6);
  if (!policy.region.code.startsWith(countyCode) || countyCode.length !== 6) {
    throw new CollectionError(
      'policy_region',
      `政策 ${policy.id} 适用于 ${policy.region.name}（${policy.region.code}），不是县级区划 ${countyCode}`,
    );
  }
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('campaigns')
      .selectAll()
      .where('county_code', '=', countyCode)
      .where('benefit_year', '=', policy.benefitYear)
      .executeTakeFirst();
    const values = {
      policy_id: policy.id,
      policy_hash: policy.hash,
      policy_file: basename(source.path),
      policy_text: source.text,
      layer_file: source.layer ? basename(source.layer.path) : null,
      layer_text: source.layer?.text ?? null,
      opened_at: input.now,
      actor: input.actor,
    };
    if (!existing) {
      const campaign = await trx
        .insertInto('campaigns')
        .values({ county_code: countyCode, benefit_year: policy.benefitYear, ...values })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { campaign, policy, outcome: 'opened' as const };
    }
    if (existing.policy_hash === policy.hash)
      return { campaign: existing, policy, outcome: 'unchanged' as const };
    const paid = await trx
      .selectFrom('enrollments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('campaign_id', '=', existing.id)
      .where('paid_fen', '>', 0)
      .executeTakeFirstOrThrow();
    if (Number(paid.n) > 0) {
      throw new CollectionError(
        'campaign_paid',
        `${policy.benefitYear} 年度已有 ${paid.n} 人按原政策（${existing.policy_id}，${existing.policy_hash.slice(0, 12)}）缴费，不能更换政策文本`,
      );
    }
    const campaign = await trx
      .updateTable('campaigns')
      .set(values)
      .where('id', '=', existing.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { campaign, policy, outcome: 'updated' as const };
  });
}

/** The policy a campaign row was opened with. */
export function campaignPolicy(campaign: Campaign): Policy {
  return policyFromSource({
    path: campaign.policy_file,
    text: campaign.policy_text,
    layer:
      campaign.layer_file && campaign.layer_text !== null
        ? { path: campaign.layer_file, text: campaign.layer_text }
        : null,
  });
}

/**
 * The county's campaign for a benefit year, or its latest one when no year is given. Throws a
 * CollectionError telling the user how to open one when there is none.
 */
export async function findCampaign(
  db: Kysely<Database>,
  countyCode: string,
  benefitYear?: number,
): Promise<{ campaign: Campaign; policy: Policy }> {
  let query = db.selectFrom('campaigns').selectAll().where('county_code', '=', countyCode);
  if (benefitYear !== undefined) query = query.where('benefit_year', '=', benefitYear);
  const campaign = await query.orderBy('benefit_year', 'desc').executeTakeFirst();
  if (!campaign) {
    throw new CollectionError(
      'no_campaign',
      `县级区划 ${countyCode}${benefitYear ? ` ${benefitYear} 年度` : ''}尚未开启征缴，请先运行 canbao campaign open --policy <政策>`,
    );
  }
  return { campaign, policy: campaignPolicy(campaign) };
}

/** Every county with a campaign: the CLI uses it to pick the county when only one is running. */
export async function campaignCounties(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('campaigns').select('county_code').distinct().execute();
  return rows.map((r) => r.county_code).sort();
}
