import type { ApprovalPolicy } from '../../billing/approvals/policy.js';
import type { RouteDeps } from '../auth.js';

/** Route deps for staff actions the approval policy may hold back (R14). */
export interface ApprovalRouteDeps extends RouteDeps {
  /** Which staff actions need a second person (TALLY_APPROVALS); credits only when absent. */
  approvals?: ApprovalPolicy | undefined;
}
