import { createContext, useContext } from 'react';
import type { Staff } from './api';

/** The signed-in staff member, for role checks and "is this my own request". */
export const MeContext = createContext<Staff | null>(null);

export function useMe(): Staff {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in page');
  return me;
}
