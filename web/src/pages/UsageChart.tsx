import { quantity } from '../format';
import type { DailyUsage } from '../types';

const DAY = 86_400_000;

function daysOf(start: string, end: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${start}T00:00:00Z`); t < Date.parse(`${end}T00:00:00Z`); t += DAY) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/**
 * Daily usage of one product, the current period's bars beside the previous period's (aligned by day of
 * period). Plain SVG scaled by its viewBox, so it fits a narrow window; the numbers are in a table below.
 */
export function UsageChart({ usage, product }: { usage: DailyUsage; product: DailyUsage['products'][number] }) {
  const cur = daysOf(usage.current_period.start, usage.current_period.end);
  const prev = daysOf(usage.previous_period.start, usage.previous_period.end);
  const curV = new Map(product.current.map((p) => [p.day, Number(p.value)]));
  const prevV = new Map(product.previous.map((p) => [p.day, Number(p.value)]));
  const n = Math.max(cur.length, prev.length, 1);
  // Plotting only: bar heights need not be exact, the table carries the exact figures.
  const max = Math.max(1, ...curV.values(), ...prevV.values());
  const W = 640;
  const H = 160;
  const pad = 24;
  const slot = (W - pad) / n;
  const bar = Math.max(1, slot / 2 - 1);
  const y = (v: number) => H - pad - ((H - pad * 1.5) * v) / max;
  const total = (m: Map<string, number>, days: string[]) => days.reduce((s, d) => s + (m.get(d) ?? 0), 0);
  const label = `${product.name}: daily ${product.metric} (${product.aggregation}); current period ${usage.current_period.start} to ${usage.current_period.end}, previous ${usage.previous_period.start} to ${usage.previous_period.end}`;
  return (
    <figure className="chart">
      <figcaption>
        <strong>{product.name}</strong> <span className="muted">— {product.unit ?? product.metric} per day ({product.aggregation})</span>
        <span className="legend">
          <span className="swatch cur" /> current ({quantity(total(curV, cur))}) <span className="swatch prev" /> previous ({quantity(total(prevV, prev))})
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} preserveAspectRatio="none">
        <line x1={pad} x2={W} y1={H - pad} y2={H - pad} className="axis" />
        <text x={0} y={12} className="tick">
          {quantity(max)}
        </text>
        {Array.from({ length: n }, (_, i) => {
          const pv = prev[i] ? (prevV.get(prev[i]) ?? 0) : 0;
          const cv = cur[i] ? (curV.get(cur[i]) ?? 0) : 0;
          const x = pad + i * slot;
          return (
            <g key={i}>
              <rect x={x} y={y(pv)} width={bar} height={H - pad - y(pv)} className="prev">
                <title>{`${prev[i] ?? ''}: ${quantity(pv)}`}</title>
              </rect>
              <rect x={x + bar + 1} y={y(cv)} width={bar} height={H - pad - y(cv)} className="cur">
                <title>{`${cur[i] ?? ''}: ${quantity(cv)}`}</title>
              </rect>
              {i % 7 === 0 && (
                <text x={x} y={H - 8} className="tick">
                  {cur[i]?.slice(5) ?? ''}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>Daily figures</summary>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Current</th>
                <th scope="col">Previous day</th>
                <th scope="col">Previous</th>
              </tr>
            </thead>
            <tbody>
              {Array.from({ length: n }, (_, i) => (
                <tr key={i}>
                  <td>{cur[i] ?? ''}</td>
                  <td className="num">{cur[i] ? quantity(curV.get(cur[i]) ?? 0) : ''}</td>
                  <td>{prev[i] ?? ''}</td>
                  <td className="num">{prev[i] ? quantity(prevV.get(prev[i]) ?? 0) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
