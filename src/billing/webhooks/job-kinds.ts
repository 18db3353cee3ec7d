/** Turns one recorded event into deliveries for the endpoints that want it (and entitlement changes). */
export const WEBHOOK_FAN_OUT_JOB = 'webhook.fan_out';
/** Makes the next attempt of one delivery. */
export const WEBHOOK_DELIVER_JOB = 'webhook.deliver';
/** Each delivery attempt job; more only when the database fails while recording a result. */
export const DELIVER_JOB_MAX_ATTEMPTS = 5;
