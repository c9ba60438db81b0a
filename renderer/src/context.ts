// The client and store the views share, through React context.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import type { ApiClient } from '../../electron/node-host/api/client.ts';
import type { DashState } from './state/store.ts';

export const DashContext = createContext<{ client: ApiClient; store: StoreApi<DashState> } | null>(null);

function ctx(): { client: ApiClient; store: StoreApi<DashState> } {
  const c = useContext(DashContext);
  if (!c) throw new Error('DashContext missing');
  return c;
}

export function useDash<T>(selector: (s: DashState) => T): T {
  return useStore(ctx().store, selector);
}
export function useClient(): ApiClient {
  return ctx().client;
}
export function useDashStore(): StoreApi<DashState> {
  return ctx().store;
}
