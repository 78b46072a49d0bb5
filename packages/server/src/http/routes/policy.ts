/** The campaign's policy as rules with their clauses (the policy viewer). */
import { describePolicy } from '@canbao/core';
import { z } from 'zod';
import { findCampaign } from '../../collection/campaign.ts';
import type { App } from '../app.ts';
import { type AppConfig, needs, userOf } from '../context.ts';

export async function policyRoutes(app: App, config: AppConfig) {
  app.get(
    '/api/policy',
    {
      preValidation: needs('policy.read'),
      schema: {
        summary: '本年度政策：规则及条款依据',
        tags: ['政策'],
        querystring: z.object({ year: z.coerce.number().int().optional() }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const { campaign, policy } = await findCampaign(config.db, user.county_code, request.query.year);
      return {
        id: policy.id,
        title: policy.title,
        region: policy.region,
        benefitYear: campaign.benefit_year,
        hash: campaign.policy_hash,
        entries: describePolicy(policy).map((e) => ({
          key: e.key,
          section: e.section,
          text: e.text,
          cite: e.cite,
          clauses: e.clauses.map((k) => ({
            key: k,
            ref: policy.clauses[k]?.ref ?? k,
            text: policy.clauses[k]?.text ?? '',
          })),
        })),
      };
    },
  );
}
