/**
 * Who is signed in. The server is the judge of every permission; the page only uses them to hide
 * menu items and buttons a user could not use anyway.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, api, setCsrfToken, setUnauthenticatedHandler } from './api.ts';

export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  role: string;
  roleLabel: string;
  department: string | null;
  regionCode: string;
  regionName: string;
  countyCode: string;
  permissions: string[];
}

export interface SessionAnswer {
  user: SessionUser;
  csrfToken: string;
  today: string;
}

interface SessionState {
  /** undefined while the first GET /api/session is under way. */
  session: SessionAnswer | null | undefined;
  login: (username: string, password: string) => Promise<SessionAnswer>;
  logout: () => Promise<void>;
  can: (...permissions: string[]) => boolean;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionAnswer | null | undefined>(undefined);

  const accept = useCallback((answer: SessionAnswer | null) => {
    setCsrfToken(answer?.csrfToken ?? '');
    setSession(answer);
  }, []);

  useEffect(() => {
    api
      .get<SessionAnswer>('/api/session', { quiet401: true })
      .then(accept)
      .catch(() => accept(null));
    // An expired session anywhere sends the user back to the login page.
    setUnauthenticatedHandler(() => accept(null));
    return () => setUnauthenticatedHandler(null);
  }, [accept]);

  const value = useMemo<SessionState>(
    () => ({
      session,
      login: async (username, password) => {
        const answer = await api.post<SessionAnswer>(
          '/api/session',
          { username, password },
          { quiet401: true },
        );
        accept(answer);
        return answer;
      },
      logout: async () => {
        try {
          await api.delete('/api/session');
        } catch (error) {
          // Already signed out on the server: nothing left to do but forget it here.
          if (!(error instanceof ApiError)) throw error;
        }
        accept(null);
      },
      can: (...permissions) => !!session && permissions.some((p) => session.user.permissions.includes(p)),
    }),
    [session, accept],
  );

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

/** The signed-in session, for pages that are only rendered behind the login guard. */
export function useUser(): SessionAnswer {
  const { session } = useSession();
  if (!session) throw new Error('useUser without a session');
  return session;
}
