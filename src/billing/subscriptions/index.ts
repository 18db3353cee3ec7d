export * from './model.js';
export {
  addItem,
  cancelSubscription,
  changePlan,
  getSubscription,
  inForceAt,
  itemHistory,
  itemsAtPeriodEnd,
  itemsInForce,
  itemsOfSubscriptions,
  pricingPeriodEnding,
  removeItem,
  setSubscriptionStatus,
  subscribe,
  type ItemRequest,
  type SubscribeInput,
} from './subscriptions.js';
export { subscribedPlansAt, type SubscribedPlans } from './plans-at.js';
export type { PeriodClosed } from './timeline.js';
export {
  advanceSchedule,
  cancelSchedule,
  createSchedule,
  getSchedule,
  listSchedules,
  releaseSchedule,
  type CreateScheduleInput,
  type SchedulePhaseInput,
  type ScheduleStatus,
  type StoredPhase,
  type SubscriptionSchedule,
} from './schedules.js';
export { advanceSubscriptionJob, PERIOD_END_JOB, SCHEDULE_JOB, scheduleJob, STARTUP_EXPIRY_JOB, TRIAL_EXPIRY_JOB, trialExpiryJob } from './jobs.js';
