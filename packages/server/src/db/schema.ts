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
}

export type Person = Selectable<PeopleTable>;
export type NewPerson = Insertable<PeopleTable>;
export type PersonUpdate = Updateable<PeopleTable>;
export type Region = Selectable<RegionsTable>;
export type RegionUpdate = Updateable<RegionsTable>;
export type PersonGroup = Selectable<PersonGroupsTable>;
export type ImportRecord = Selectable<ImportsTable>;
