/**
 * "Today" for the command line: the calendar date in Asia/Shanghai, read here and passed inward.
 * CANBAO_TODAY (YYYY-MM-DD) fixes it for drills and scripted campaign replays.
 */
import { parseDate, Temporal } from '@canbao/core';
import { InputError } from './io.ts';

export function todayInShanghai(): string {
  const fixed = process.env.CANBAO_TODAY;
  if (fixed) {
    try {
      return parseDate(fixed).toString();
    } catch (error) {
      throw new InputError(`环境变量 CANBAO_TODAY 有误：${(error as Error).message}`);
    }
  }
  return Temporal.Now.plainDateISO('Asia/Shanghai').toString();
}

/** The wall-clock instant (ISO), consistent with CANBAO_TODAY when that is set. */
export function nowInstant(): string {
  const fixed = process.env.CANBAO_TODAY;
  if (fixed) return `${todayInShanghai()}T04:00:00.000Z`;
  return new Date().toISOString();
}
