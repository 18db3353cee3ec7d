import { useEffect, useState } from 'react';
import { get } from './api';

let cache: Promise<Map<string, string>> | null = null;

/** Staff IDs → names, loaded once per page load (requests and decisions name their staff by ID). */
export function useStaffNames(): Map<string, string> {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    cache ??= get<{ data: { id: string; name: string; email: string }[] }>('/staff')
      .then((r) => new Map(r.data.map((s) => [s.id, `${s.name} <${s.email}>`])))
      .catch(() => new Map<string, string>());
    let live = true;
    void cache.then((m) => live && setNames(m));
    return () => {
      live = false;
    };
  }, []);
  return names;
}

export function StaffName({ id, names }: { id: string | null; names: Map<string, string> }) {
  if (!id) return <span className="muted">—</span>;
  return <span title={id}>{names.get(id)?.split(' <')[0] ?? id}</span>;
}
