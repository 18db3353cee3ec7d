import './builtin.js';

export { approveRequest, approvalKinds, getApproval, listApprovals, registerApprovalExecutor, rejectRequest, requestApproval, type ApprovalExecutor, type ApprovalFilter, type ApprovalRequest, type ApprovalStatus } from './approvals.js';
export { changePlanUnderPolicy, createCouponUnderPolicy, type CouponOutcome, type PlanChangeOutcome } from './builtin.js';
export { couponNeedsApproval, DEFAULT_APPROVAL_POLICY, formatApprovalPolicy, parseApprovalPolicy, type ApprovalPolicy } from './policy.js';
export { getApprovalItem, listPendingApprovals, type ApprovalItem } from './queue.js';
