/** The signed-in Admin API client, for every page. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AdminClient } from './api/client.ts';

export interface Session {
  readonly client: AdminClient;
  readonly version: string;
  signOut(): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useSession outside a signed-in page');
  return session;
}
