import type { StaffRole } from '../context.js';

export const STAFF_ROLES = ['viewer', 'support', 'billing_admin', 'approver', 'owner'] as const satisfies readonly StaffRole[];

/**
 * The role ladder: viewer < support < billing_admin < owner; each role can do what those below it can.
 * `approver` (a finance lead, the CTO) stands beside the ladder: it may approve credits and changes
 * requested by others, and otherwise ranks as a viewer (it must read a customer's history to decide).
 * An owner holds every capability, approving included.
 */
const LADDER: Record<StaffRole, number> = { viewer: 1, approver: 1, support: 2, billing_admin: 3, owner: 4 };

/** True when a staff member of `role` may do what needs `needed`. */
export function hasRole(role: StaffRole, needed: StaffRole): boolean {
  if (needed === 'approver') return role === 'approver' || role === 'owner';
  return LADDER[role] >= LADDER[needed];
}

export function isStaffRole(value: string): value is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(value);
}
