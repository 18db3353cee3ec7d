import { invalid } from '../../shared/errors.js';
import { addInterval } from '../periods/calendar.js';
import { checkDate, DAY_MS } from '../periods/guards.js';

/**
 * Throws unless `d` is a valid instant at 00:00 UTC. Billing periods are whole UTC days because usage is
 * aggregated per UTC day, so anchors and schedule phases start at midnight UTC.
 */
export function checkDayAligned(d: Date, param: string): void {
  const t = checkDate(d, param);
  if (t % DAY_MS !== 0) throw invalid('not_day_aligned', `${param} must be at 00:00 UTC (billing periods are whole UTC days); got ${d.toISOString()}.`, param);
}

export interface PhaseTiming {
  readonly start: Date;
  readonly months: number;
}

/**
 * Checks a schedule's phases and returns each one's end: at least one phase, each starting at 00:00 UTC
 * and lasting a whole number of months (≥ 1), the first starting no earlier than `now`, and each starting exactly where the previous
 * ends (`addInterval(start, 'month', months)`, month-end clamped from the phase's own start).
 */
export function phaseEnds(phases: readonly PhaseTiming[], now: Date): Date[] {
  if (phases.length === 0) throw invalid('phases_required', 'A schedule needs at least one phase.', 'phases');
  const ends: Date[] = [];
  phases.forEach((phase, i) => {
    checkDayAligned(phase.start, `phases.${i}.start`);
    if (!Number.isSafeInteger(phase.months) || phase.months < 1) {
      throw invalid('invalid_phase_months', `phases.${i}.months must be a whole number of months ≥ 1; got ${String(phase.months)}.`, `phases.${i}.months`);
    }
    if (i === 0 && phase.start.getTime() < now.getTime()) {
      throw invalid('phase_start_in_past', `The first phase starts ${phase.start.toISOString()}, before now (${now.toISOString()}).`, 'phases.0.start');
    }
    const previousEnd = ends[i - 1];
    if (previousEnd !== undefined && previousEnd.getTime() !== phase.start.getTime()) {
      throw invalid(
        'phases_not_contiguous',
        `Phase ${i} starts ${phase.start.toISOString()} but phase ${i - 1} ends ${previousEnd.toISOString()}; each phase starts where the previous ends.`,
        `phases.${i}.start`,
      );
    }
    ends.push(addInterval(phase.start, 'month', phase.months));
  });
  return ends;
}
