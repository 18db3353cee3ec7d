export {
  approveCredit,
  earlierCreditsFor,
  getCreditRequest,
  listCreditRequests,
  rejectCredit,
  requestCredit,
  type CreditFilter,
  type CreditRequest,
  type CreditRequestView,
  type CreditStatus,
  type EarlierCredit,
  type RequestCreditInput,
} from './credits.js';
