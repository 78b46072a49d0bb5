/**
 * What the campaign commands share: opening the database, choosing the county (the --county
 * option, or the only county with a campaign) and building the service context with the business
 * date (cli/today.ts: as `canbao serve` has it) and the acting user (--actor, else CANBAO_ACTOR, else the OS user).
 */
import { userInfo } from 'node:os';
import { parseDate, parseYuan } from '@canbao/core';
import type { Command } from 'commander';
import { campaignCounties } from '../collection/campaign.ts';
import type { CollectionContext } from '../collection/context.ts';
import { type DatabaseHandle, openDatabase } from '../db/open.ts';
import { InputError } from './io.ts';
import { businessDay } from './today.ts';

export interface CampaignOptions {
  readonly county?: string;
  readonly actor?: string;
}

/** Adds the options every campaign command takes. */
export function campaignOptions(command: Command): Command {
  return command
    .option('--county <code>', '县级区划代码（统筹区）；只有一个县在征缴时可省略')
    .option('--actor <name>', '操作人（默认取环境变量 CANBAO_ACTOR 或系统用户名）');
}

export async function withCollection<T>(
  options: CampaignOptions,
  work: (ctx: CollectionContext, handle: DatabaseHandle) => Promise<T>,
): Promise<T> {
  const handle = await openDatabase();
  try {
    let county = options.county;
    if (!county) {
      const counties = await campaignCounties(handle.db);
      if (counties.length === 0) {
        throw new InputError('尚未开启任何征缴，请先运行 canbao campaign open --policy <政策>');
      }
      if (counties.length > 1) {
        throw new InputError(`有多个县在征缴（${counties.join('、')}），请用 --county 指定`);
      }
      county = counties[0] as string;
    }
    const ctx: CollectionContext = {
      db: handle.db,
      countyCode: county,
      actor: actorOf(options),
      ...(await businessDay(handle.db)),
    };
    return await work(ctx, handle);
  } finally {
    await handle.close();
  }
}

/** The acting user: --actor, else CANBAO_ACTOR, else the OS user. */
export function actorOf(options: CampaignOptions): string {
  return options.actor ?? process.env.CANBAO_ACTOR ?? userInfo().username;
}

/** A date option (YYYY-MM-DD), or the fallback; the message names the option. */
export function dateOf(text: string | undefined, option: string, fallback: string): string {
  if (text === undefined) return fallback;
  try {
    return parseDate(text).toString();
  } catch (error) {
    throw new InputError(`选项 ${option} 有误：${(error as Error).message}`);
  }
}

/** A yuan amount option → fen; the message names the option. */
export function yuanOf(text: string, option: string): number {
  try {
    return parseYuan(text);
  } catch (error) {
    throw new InputError(`选项 ${option} 有误：${(error as Error).message}`);
  }
}

/** A positive integer option (an id). */
export function idOf(text: string, option: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0)
    throw new InputError(`选项 ${option} 应为正整数，收到“${text}”`);
  return Number(text);
}
