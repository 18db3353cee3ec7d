const BASE_MS = 1_000;
const CAP_MS = 60 * 60 * 1_000;
/** Up to this share of the delay is taken off, so retries of jobs that failed together spread out. */
const JITTER = 0.2;

/** FNV-1a: a stable 32-bit hash, so a job's jitter is the same on every worker and in every test run. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * How long to wait before retrying a job whose attempt number `attempts` (1-based) just failed:
 * min(2^attempts × 1 s, 1 h), less a deterministic jitter of up to 20 % derived from the job id.
 * Never more than the nominal delay, so advancing a test clock by min(2^attempts s, 1 h) always makes it due.
 */
export function retryDelayMs(jobId: string, attempts: number): number {
  const nominal = Math.min(BASE_MS * 2 ** Math.max(0, attempts), CAP_MS);
  const fraction = fnv1a(`${jobId}:${attempts}`) / 0x1_0000_0000;
  return nominal - Math.floor(nominal * JITTER * fraction);
}

/** The delay without jitter: the upper bound of retryDelayMs. */
export function nominalRetryDelayMs(attempts: number): number {
  return Math.min(BASE_MS * 2 ** Math.max(0, attempts), CAP_MS);
}
