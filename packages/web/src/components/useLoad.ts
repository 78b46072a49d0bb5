import { App } from 'antd';
import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api.ts';

export interface Loaded<T> {
  data: T | undefined;
  loading: boolean;
  error: ApiError | undefined;
  reload: () => void;
}

/**
 * Loads what a page shows and says why when it cannot (the server's Chinese message). A later load
 * replaces an earlier one that is still running, so a slow answer never overwrites a newer one.
 */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  enabled = true,
): Loaded<T> {
  const { message } = App.useApp();
  const [data, setData] = useState<T>();
  const [loading, setLoading] = useState(enabled);
  const [error, setError] = useState<ApiError>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to load again
  useEffect(() => {
    if (!enabled) {
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    loadRef
      .current(controller.signal)
      .then((value) => {
        if (!controller.signal.aborted) setData(value);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        const apiError = err instanceof ApiError ? err : new ApiError(0, 'client', String(err));
        setError(apiError);
        if (apiError.status !== 401 && apiError.status !== 404) message.error(apiError.message);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [...deps, tick, enabled]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, loading, error, reload };
}

/**
 * A button's work: `busy` while it runs (for the button's spinner), and a failure shown as the
 * server's message instead of being thrown at the page.
 */
export function useAction(): [boolean, (work: () => Promise<void>) => Promise<void>] {
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async (work: () => Promise<void>) => {
      setBusy(true);
      try {
        await work();
      } catch (error) {
        message.error(error instanceof Error ? error.message : String(error));
      } finally {
        setBusy(false);
      }
    },
    [message],
  );
  return [busy, run];
}
