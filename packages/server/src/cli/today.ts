/** "Today" for the command line: the calendar date in Asia/Shanghai, read here and passed inward. */
import { Temporal } from '@canbao/core';

export function todayInShanghai(): string {
  return Temporal.Now.plainDateISO('Asia/Shanghai').toString();
}
