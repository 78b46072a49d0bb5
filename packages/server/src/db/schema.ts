/**
 * The database as the code sees it: the same runtime types on SQLite and PostgreSQL. Dates are
 * 'YYYY-MM-DD' strings, timestamps ISO-8601 strings, money integer fen (number), flags 0/1.
 *
 * Every table carries `county_code` (the pooling region) and leads its unique keys with it, so a
 * province can later partition or distribute by it (PostgreSQL partitions, Citus) without
 * rewriting queries.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export type DocType =
  | 'resident_id'
  | 'hk_macau_taiwan_permit'
  | 'foreigner_permanent_residence'
  | 'passport'
  | 'other';
export type RegionLevel = 'province' | 'city' | 'county' | 'township' | 'village';

export interface RegionsTable {
  code: string;
  name: string;
  level: RegionLevel;
  parent_code: string | null;
  /** The county (pooling region) a township or village belongs to; its own code for a county. */
  county_code: string | null;
  valid_from: string | null;
  valid_to: string | null;
  /** A village merged into another keeps its row, closed, pointing at its successor. */
  merged_into: string | null;
  source: string;
}

export interface PeopleTable {
  id: Generated<number>;
  county_code: string;
  doc_type: DocType;
  doc_number: string;
  name: string;
  sex: 'male' | 'female' | null;
  birth_date: string | null;
  hukou_region_code: string | null;
  residence_region_code: string | null;
  /** 户籍地址 as written. */
  address: string | null;
  household_id: number | null;
  phone: string | null;
  deceased_on: string | null;
  is_student: number;
  school: string | null;
  created_at: string;
  updated_at: string;
  source_import_id: number | null;
}

export interface HouseholdsTable {
  id: Generated<number>;
  county_code: string;
  /** 户号 as the household register writes it. */
  number: string;
  village_code: string | null;
  head_person_id: number | null;
  created_at: string;
  updated_at: string;
}

/** Membership over time: a person joining or leaving a household closes and opens rows, never edits them. */
export interface HouseholdMembersTable {
  id: Generated<number>;
  county_code: string;
  household_id: number;
  person_id: number;
  relation: string | null;
  valid_from: string;
  valid_to: string | null;
  source_import_id: number | null;
}

/** A certified group (DOMAIN.md §4) held by a person, as the certifying department reported it. */
export interface PersonGroupsTable {
  id: Generated<number>;
  county_code: string;
  person_id: number;
  group_code: string;
  department: string;
  certified_on: string | null;
  valid_from: string;
  /** Null while current; set (never deleted) when a later list no longer has the person. */
  valid_to: string | null;
  source_import_id: number | null;
  source_line: number | null;
}

/** Coverage outside this scheme: employee insurance, or resident insurance in another region. */
export interface ExternalCoverageTable {
  id: Generated<number>;
  county_code: string;
  person_id: number;
  kind: 'employee_insurance' | 'other_region';
  /** Employer, or the other region's name. */
  detail: string | null;
  region_code: string | null;
  consecutive_years: number | null;
  valid_from: string | null;
  stopped_on: string | null;
  source_import_id: number | null;
  source_line: number | null;
}

/** Enrollment in earlier benefit years, as the bureau's roster gives it (renewal and screening). */
export interface EnrollmentHistoryTable {
  id: Generated<number>;
  county_code: string;
  person_id: number;
  benefit_year: number;
  insured_region_code: string | null;
  amount_fen: number | null;
  source_import_id: number | null;
}

export interface EcertActivationsTable {
  id: Generated<number>;
  county_code: string;
  person_id: number;
  activated_on: string;
  source_import_id: number | null;
}

/** Targets per region (任务分解表), as given: money targets are never people × standard. */
export interface TaskTargetsTable {
  id: Generated<number>;
  county_code: string;
  region_code: string;
  benefit_year: number;
  eligible_people: number;
  amount_fen: number;
  source: string;
}

export interface ImportsTable {
  id: Generated<number>;
  county_code: string | null;
  kind: string;
  file_name: string;
  file_sha256: string;
  department: string | null;
  /** For monthly department updates: the date the changes take effect. */
  effective_date: string | null;
  status: 'completed' | 'rejected';
  accept_valid: number;
  rows_total: number;
  rows_written: number;
  rows_rejected: number;
  /** JSON: counts of added / changed / unchanged / removed and the like. */
  summary: string;
  actor: string;
  started_at: string;
  finished_at: string;
}

/** One balanced movement of money; its lines sum to zero. Append-only (triggers refuse edits). */
export interface JournalTransfersTable {
  id: Generated<number>;
  county_code: string;
  /** payment, subsidy, reimbursement, remittance, refund, … */
  kind: string;
  /** What caused it (payment, enrollment, bank batch …) and that thing's id. */
  business_type: string;
  business_id: string;
  /** The caller's key: the same key again returns the first transfer, never a second one. */
  idempotency_key: string;
  /** sha256 of the transfer's content, to tell a replay from a conflicting reuse of the key. */
  lines_digest: string;
  occurred_on: string;
  recorded_at: string;
  actor: string;
  memo: string | null;
}

export interface JournalLinesTable {
  id: Generated<number>;
  county_code: string;
  transfer_id: number;
  account: string;
  /** Signed fen: debit positive, credit negative. */
  amount_fen: number;
}

/** The policy a county runs for a benefit year, with the exact text it was opened with. */
export interface CampaignsTable {
  id: Generated<number>;
  county_code: string;
  benefit_year: number;
  policy_id: string;
  policy_hash: string;
  policy_file: string;
  policy_text: string;
  layer_file: string | null;
  layer_text: string | null;
  opened_at: string;
  actor: string;
}

export type EnrollmentStatus =
  | 'registered'
  | 'awaiting_payment'
  | 'paid'
  | 'confirmed'
  | 'suspended'
  | 'terminated'
  | 'refunded';

/** How an enrollment came to be: renewal of last year's, a new application, the bureau, a newborn. */
export type EnrollmentSource = 'renewal' | 'new' | 'bureau' | 'newborn' | 'online';

/** One person in one benefit year, with the assessment that set what they owe. */
export interface EnrollmentsTable {
  id: Generated<number>;
  county_code: string;
  campaign_id: number;
  benefit_year: number;
  person_id: number;
  household_id: number | null;
  /** The village the person is counted in (progress, mobilisation lists), as of enrollment. */
  village_code: string | null;
  status: EnrollmentStatus;
  source: EnrollmentSource;
  /** The year a newborn's parents chose, where the policy lets them. */
  coverage_year: number | null;
  /** 1 when the household asked for bank withholding from an agreement card. */
  withhold: number;
  standard_fen: number;
  /** What the person pays (from the stored assessment). */
  pays_fen: number;
  /** Direct subsidies booked for the person. */
  subsidy_fen: number;
  /** 先缴后补: reimbursed to the person after payment. */
  refund_later_fen: number;
  /** What the person has paid so far (sum of their payments). */
  paid_fen: number;
  benefit_start: string | null;
  benefit_end: string | null;
  why: string;
  policy_hash: string;
  /** The date the facts were taken (the payment date once paid). */
  assessed_on: string;
  /** The assessment JSON (amounts, subsidies, dates, rules with clauses). */
  assessment: string;
  /** Incremented by every change: writers check it (check-and-act) so no change is lost. */
  version: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface EnrollmentEventsTable {
  id: Generated<number>;
  county_code: string;
  enrollment_id: number;
  event: string;
  from_status: EnrollmentStatus | null;
  to_status: EnrollmentStatus;
  reason: string | null;
  /** JSON: what changed (amounts before/after, payment id …). */
  detail: string | null;
  actor: string;
  at: string;
}

/** The channels a policy may name (policy `channels`); every payment comes through one of them. */
export type ChannelCode =
  | 'online'
  | 'bank_withholding'
  | 'cash_collection'
  | 'tax_hall'
  | 'bank_counter'
  | 'pos'
  | 'school';

/** One payment as the channel knows it (its transaction id), covering one or more enrollments. */
export interface PaymentOrdersTable {
  id: Generated<number>;
  county_code: string;
  channel: ChannelCode;
  channel_txn_id: string;
  /** sha256 of what was paid for (lines, amount, date): a replay matches it, a conflict does not. */
  digest: string;
  amount_fen: number;
  paid_on: string;
  payer: string | null;
  collector: string | null;
  receipt_no: string | null;
  /** Channel detail: school name, POS terminal, withholding batch item … */
  reference: string | null;
  actor: string;
  created_at: string;
}

export type PaymentStatus = 'recorded' | 'confirmed' | 'refunded';

/** The part of an order paid for one enrollment. */
export interface PaymentsTable {
  id: Generated<number>;
  county_code: string;
  order_id: number;
  enrollment_id: number;
  person_id: number;
  channel: ChannelCode;
  amount_fen: number;
  paid_on: string;
  status: PaymentStatus;
  tax_receipt_no: string | null;
  confirmed_on: string | null;
}

/** Cash a collector handed over to the 待报解 account. */
export interface RemittancesTable {
  id: Generated<number>;
  county_code: string;
  collector: string;
  slip_no: string;
  amount_fen: number;
  remitted_on: string;
  actor: string;
  created_at: string;
}

/**
 * The card a person's contribution is withheld from (the holder may be another person). A change
 * of card closes the row (valid_to, close_reason) and opens another: history, never overwritten.
 */
export interface BankAgreementsTable {
  id: Generated<number>;
  county_code: string;
  person_id: number;
  bank: string;
  card_number: string;
  holder_name: string;
  holder_doc_number: string | null;
  valid_from: string;
  /** Null while the agreement is current. */
  valid_to: string | null;
  close_reason: string | null;
  /** Where it came from: 'manual', or 'import:<file name>:<line>'. */
  source: string;
  actor: string;
  created_at: string;
}

/** A withholding file handed to the bank: 'exported' until its result file is imported. */
export interface WithholdingBatchesTable {
  id: Generated<number>;
  county_code: string;
  batch_no: string;
  benefit_year: number;
  bank: string | null;
  status: 'exported' | 'completed';
  rows: number;
  total_fen: number;
  succeeded: number;
  succeeded_fen: number;
  failed: number;
  result_sha256: string | null;
  /** The result file's name as imported. */
  result_file: string | null;
  created_on: string;
  created_at: string;
  completed_at: string | null;
  actor: string;
}

/**
 * One row of a withholding batch. 'conflict': the bank debited the card but no payment could be
 * recorded (the person had meanwhile paid through another channel, or was no longer payable); the
 * money sits in the 待报解 account against `channel:bank_withholding` until returned (returned_on).
 */
export interface WithholdingItemsTable {
  id: Generated<number>;
  county_code: string;
  batch_id: number;
  seq: number;
  enrollment_id: number;
  person_id: number;
  agreement_id: number;
  amount_fen: number;
  result: 'pending' | 'succeeded' | 'failed' | 'conflict';
  failure_reason: string | null;
  /** The debit date (or of the failed attempt) from the result file or the user. */
  result_on: string | null;
  /** Why a debited row is a conflict. */
  note: string | null;
  returned_on: string | null;
  order_id: number | null;
}

export interface TaxConfirmationsTable {
  id: Generated<number>;
  county_code: string;
  tax_receipt_no: string;
  doc_number: string;
  name: string | null;
  channel_txn_id: string | null;
  amount_fen: number;
  paid_on: string | null;
  confirmed_on: string;
  /** matched: applied to a payment; discrepancy: kept out of the books, listed for follow-up. */
  status: 'matched' | 'discrepancy';
  problem: string | null;
  payment_id: number | null;
  /** The file (or 'api') the confirmation came from. */
  source: string;
  source_line: number | null;
  /** sha256 of the confirmation's content: the same receipt with the same content is a replay. */
  digest: string;
  created_at: string;
}

export interface RefundsTable {
  id: Generated<number>;
  county_code: string;
  enrollment_id: number;
  person_id: number;
  reason: string;
  requested_on: string;
  decision: 'approve' | 'refuse' | 'not_specified';
  /** Paid back to the person, fen. */
  amount_fen: number;
  /** Direct subsidies returned to their funders, fen. */
  subsidy_reversed_fen: number;
  rule_id: string;
  /** The clause references, in the notice's numbering. */
  cite: string;
  /** What the rule decided for this request, in Chinese. */
  rule_text: string;
  /** The cited clauses' text, quoted from the notice (or canbao's stated reading). */
  rule_quote: string;
  status: 'refused' | 'not_specified' | 'approved' | 'paid';
  paid_on: string | null;
  payout_reference: string | null;
  actor: string;
  created_at: string;
}

export interface ReimbursementBatchesTable {
  id: Generated<number>;
  county_code: string;
  batch_no: string;
  funder: string;
  benefit_year: number;
  status: 'created' | 'paid' | 'confirmed';
  people: number;
  total_fen: number;
  created_on: string;
  paid_on: string | null;
  confirmed_on: string | null;
  actor: string;
}

export interface ReimbursementItemsTable {
  id: Generated<number>;
  county_code: string;
  batch_id: number;
  enrollment_id: number;
  person_id: number;
  amount_fen: number;
}

/** A person who signs in: a role and the region everything they see is limited to. */
export interface UsersTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  /** scrypt, self-describing: `scrypt$N$r$p$salt$hash` (base64). */
  password_hash: string;
  role: string;
  department: string | null;
  region_code: string;
  county_code: string;
  failed_logins: Generated<number>;
  locked_until: string | null;
  disabled: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface SessionsTable {
  token_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
}

/** Append-only: who did what, when, to which object, with the object before and after (JSON). */
export interface AuditLogTable {
  id: Generated<number>;
  county_code: string;
  at: string;
  user_id: number | null;
  actor: string;
  role: string;
  action: string;
  object_type: string;
  object_id: string | null;
  region_code: string | null;
  before_json: string | null;
  after_json: string | null;
  ip: string | null;
}

export interface HouseholdVerificationsTable {
  id: Generated<number>;
  county_code: string;
  household_id: number;
  village_code: string | null;
  benefit_year: number;
  decision: 'enroll' | 'decline';
  withhold: number;
  /** JSON: the member person ids the decision covers. */
  members_json: string;
  note: string | null;
  visited_on: string;
  recorded_by: string;
  created_at: string;
}

export interface AppSettingsTable {
  key: string;
  value: string;
}

/** Which event, payment and e-certificate activation the progress summary reflects (0005). */
export interface ProgressCheckpointsTable {
  county_code: string;
  benefit_year: number;
  event_id: number;
  payment_id: number;
  ecert_id: number;
  registry_stamp: string | null;
  written_at: string;
}

/** A progress measure's change in a village on a day (0005): counts are sums of changes. */
export interface ProgressDayChangesTable {
  county_code: string;
  benefit_year: number;
  village_code: string;
  measure: string;
  day: string;
  amount: number;
}

export interface Database {
  regions: RegionsTable;
  people: PeopleTable;
  households: HouseholdsTable;
  household_members: HouseholdMembersTable;
  person_groups: PersonGroupsTable;
  external_coverage: ExternalCoverageTable;
  enrollment_history: EnrollmentHistoryTable;
  ecert_activations: EcertActivationsTable;
  task_targets: TaskTargetsTable;
  imports: ImportsTable;
  journal_transfers: JournalTransfersTable;
  journal_lines: JournalLinesTable;
  campaigns: CampaignsTable;
  enrollments: EnrollmentsTable;
  enrollment_events: EnrollmentEventsTable;
  payment_orders: PaymentOrdersTable;
  payments: PaymentsTable;
  remittances: RemittancesTable;
  bank_agreements: BankAgreementsTable;
  withholding_batches: WithholdingBatchesTable;
  withholding_items: WithholdingItemsTable;
  tax_confirmations: TaxConfirmationsTable;
  refunds: RefundsTable;
  reimbursement_batches: ReimbursementBatchesTable;
  reimbursement_items: ReimbursementItemsTable;
  users: UsersTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  app_settings: AppSettingsTable;
  household_verifications: HouseholdVerificationsTable;
  progress_checkpoints: ProgressCheckpointsTable;
  progress_day_changes: ProgressDayChangesTable;
}

export type Person = Selectable<PeopleTable>;
export type NewPerson = Insertable<PeopleTable>;
export type PersonUpdate = Updateable<PeopleTable>;
export type Region = Selectable<RegionsTable>;
export type RegionUpdate = Updateable<RegionsTable>;
export type PersonGroup = Selectable<PersonGroupsTable>;
export type ImportRecord = Selectable<ImportsTable>;
export type Campaign = Selectable<CampaignsTable>;
export type Enrollment = Selectable<EnrollmentsTable>;
export type User = Selectable<UsersTable>;
export type AuditEntry = Selectable<AuditLogTable>;
