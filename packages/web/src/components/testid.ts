import type { HTMLAttributes } from 'react';

/** Props for a table row (antd's onRow) carrying a data-testid, which its types do not list. */
export function rowTestId(
  testId: string,
  extra: HTMLAttributes<HTMLElement> = {},
): HTMLAttributes<HTMLElement> {
  return { ...extra, 'data-testid': testId } as HTMLAttributes<HTMLElement>;
}
