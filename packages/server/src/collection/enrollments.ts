/**
 * Enrollments: one per person per benefit year, with a state, a history of every transition and
 * the assessment that set what the person owes (amounts, benefit dates, rule codes, policy hash).
 *
 *   registered → awaiting_payment → paid → confirmed          (the ordinary path)
 *   awaiting_payment → confirmed                              (full subsidy, enrolled by the bureau)
 *   any open state → suspended → back; → terminated; paid/confirmed → refunded
 *
 * The assessment is recomputed while the person has not paid (facts change: a 低保 certificate
 * arrives) and is fixed once they pay — a later change of facts is reported, never applied
 * silently (`staleAssessments`).
 */
import {
  type Assessment,
  assess,
  explainWhy,
  type Facts,
  FactsError,
  type Fen,
  type Policy,
} from '@canbao/core';
import { type Kysely, sql, type Transaction } from 'kysely';
import type {
  Campaign,
  Database,
  Enrollment,
  EnrollmentSource,
  EnrollmentStatus,
  Person,
} from '../db/schema.ts';
import { refreshStatistics } from '../db/statistics.ts';
import { recordTransfer } from '../ledger/journal.ts';
import { personFacts, personFactsBatch } from '../registry/facts.ts';
import { chunks } from '../registry/people.ts';
import { findCampaign } from './campaign.ts';
import { type CollectionContext, CollectionError, isUniqueViolation } from './context.ts';

export const STATUS_LABELS: Readonly<Record<EnrollmentStatus, string>> = {
  registered: '已登记',
  awaiting_payment: '待缴费',
  paid: '已缴费',
  confirmed: '已确认参保',
  suspended: '暂停',
  terminated: '已终止',
  refunded: '已退费',
};

/** States in which a person counts as enrolled for the year (paid or confirmed). */
export const ENROLLED: readonly EnrollmentStatus[] = ['paid', 'confirmed'];

type Db = Kysely<Database> | Transaction<Database>;

export interface AssessOptions {
  /** The date the facts are taken at (default: today). */
  readonly asOf?: string;
  /** The payment date, for benefit-start rules; absent while only quoting. */
  readonly paidOn?: string;
  readonly coverageYear?: number | null;
}

/** An assessment with the facts it was made from (stored, so the explanation can be rebuilt exactly). */
export type PersonAssessment = Assessment & { readonly facts: Facts };

/** The engine's assessment of a registered person, from the registry's facts. */
export async function assessPerson(
  db: Db,
  ctx: Pick<CollectionContext, 'countyCode' | 'today'>,
  policy: Policy,
  personId: number,
  options: AssessOptions = {},
): Promise<PersonAssessment> {
  const facts = await personFacts(db, ctx.countyCode, personId, options.asOf ?? options.paidOn ?? ctx.today);
  if (options.paidOn) facts.paidOn = options.paidOn;
  if (options.coverageYear) facts.coverageYear = options.coverageYear;
  try {
    return { ...assess(policy, facts), facts };
  } catch (error) {
    if (error instanceof FactsError) {
      throw new CollectionError('facts', `人员 #${personId} 的登记信息不足以测算：${error.message}`);
    }
    throw error;
  }
}

export interface AssessRequest {
  readonly personId: number;
  /** The date the facts are taken at. */
  readonly asOf: string;
  readonly paidOn?: string | null;
  readonly coverageYear?: number | null;
}

/**
 * Many people assessed with their facts read by set queries (the bulk paths): each an assessment
 * without its clause texts, or the FactsError that stopped it, in request order.
 */
export async function assessMany(
  db: Db,
  countyCode: string,
  policy: Policy,
  requests: readonly AssessRequest[],
): Promise<(PersonAssessment | FactsError)[]> {
  const facts = await personFactsBatch(db, countyCode, requests);
  return requests.map((r, n) => {
    const f = { ...(facts[n] as Facts) };
    if (r.paidOn) f.paidOn = r.paidOn;
    if (r.coverageYear) f.coverageYear = r.coverageYear;
    try {
      return { ...assess(policy, f, { explain: false }), facts: f };
    } catch (error) {
      if (error instanceof FactsError) return error;
      throw error;
    }
  });
}

/**
 * The columns an assessment fills on an enrollment (`stored`: its JSON when the caller has it
 * already, see storedAssessmentJson).
 */
export function assessmentColumns(
  a: PersonAssessment,
  assessedOn: string,
  stored = JSON.stringify(storedAssessment(a)),
) {
  const direct = a.subsidies.filter((s) => s.mode === 'direct').reduce((n, s) => n + s.amount, 0);
  return {
    standard_fen: a.standard as number,
    pays_fen: a.pays as number,
    subsidy_fen: direct,
    refund_later_fen: a.refundLater as number,
    benefit_start: a.benefitStart,
    benefit_end: a.benefitEnd,
    why: a.why,
    policy_hash: a.policy.hash,
    assessed_on: assessedOn,
    assessment: stored,
  };
}

/**
 * What an enrollment keeps of its assessment besides the columns that already carry it (amounts,
 * benefit dates, why code, policy hash): eligibility, subsidies with funder and rule, what the
 * policy leaves open, and the facts it was made from. The full explanation (every rule with its
 * quoted clause) is rebuilt from the why code and the campaign's policy (`explainEnrollment`), so
 * a million enrollments do not store a million copies of the same clause texts; and nothing is
 * stored twice, because every payment rewrites the row (~200 characters instead of ~480: the
 * enrollments of a county are what a withholding file of a million rows reads and writes).
 * Rows stored before kept the whole assessment; they read the same (the columns win).
 */
export type StoredAssessment = Omit<
  PersonAssessment,
  'rules' | 'policy' | 'standard' | 'pays' | 'refundLater' | 'benefitStart' | 'benefitEnd' | 'why'
>;

export function storedAssessment(a: PersonAssessment): StoredAssessment {
  const {
    rules: _rules,
    policy: _policy,
    standard: _standard,
    pays: _pays,
    refundLater: _refundLater,
    benefitStart: _benefitStart,
    benefitEnd: _benefitEnd,
    why: _why,
    ...kept
  } = a;
  return kept;
}

const storedPrefixes = new WeakMap<Assessment, string>();

/**
 * `JSON.stringify(storedAssessment({ ...a, facts }))`, encoding the part shared by everyone with
 * the same assessment once: a payment batch shares assessment objects between people (see
 * assessShared in payment-batch.ts), and only the facts are each person's own.
 */
export function storedAssessmentJson(a: Assessment, facts: Facts): string {
  // The splice relies on the facts coming last, which holds only when `a` has none of its own.
  if (Object.hasOwn(a, 'facts')) return JSON.stringify(storedAssessment({ ...a, facts }));
  let prefix = storedPrefixes.get(a);
  if (prefix === undefined) {
    const { facts: _facts, ...shared } = storedAssessment({ ...a, facts });
    // Never empty (`eligible` is always there), so the facts follow a comma.
    prefix = JSON.stringify(shared).slice(0, -1);
    storedPrefixes.set(a, prefix);
  }
  return `${prefix},"facts":${JSON.stringify(facts)}}`;
}

/** The enrollment columns that, with the stored JSON, make up its assessment. */
type AssessedEnrollment = Pick<
  Enrollment,
  | 'why'
  | 'assessment'
  | 'policy_hash'
  | 'standard_fen'
  | 'pays_fen'
  | 'refund_later_fen'
  | 'benefit_start'
  | 'benefit_end'
>;

/**
 * The full assessment of an enrollment, every rule with its clause, rebuilt from the stored why
 * code and facts under the campaign's policy. The policy must be the one the assessment was made
 * with (same hash): an explanation under other rules would not be the one that set the amount.
 */
export function explainEnrollment(policy: Policy, enrollment: AssessedEnrollment): Assessment {
  if (policy.hash !== enrollment.policy_hash) {
    throw new CollectionError(
      'policy_changed',
      `该参保记录按政策 ${enrollment.policy_hash.slice(0, 12)} 测算，与当前政策 ${policy.hash.slice(0, 12)} 不同，无法按当前政策解释`,
    );
  }
  const stored = JSON.parse(enrollment.assessment) as StoredAssessment;
  return {
    ...explainWhy(policy, enrollment.why, stored.facts),
    ...stored,
    standard: enrollment.standard_fen as Fen,
    pays: enrollment.pays_fen as Fen,
    refundLater: enrollment.refund_later_fen as Fen,
    benefitStart: enrollment.benefit_start,
    benefitEnd: enrollment.benefit_end,
    why: enrollment.why,
  };
}

export function notEligibleMessage(person: Pick<Person, 'name'>, a: Assessment): string {
  const reasons = (a.reasons ?? []).map((r) => r.text).join('；');
  return `${person.name} 不能参保：${reasons || '不符合参保条件'}`;
}

/** The village a person is counted in: their household's village, else a village-level hukou code. */
export async function villageOf(db: Db, person: Person): Promise<string | null> {
  const household =
    person.household_id === null
      ? undefined
      : await db
          .selectFrom('households')
          .select('village_code')
          .where('id', '=', person.household_id)
          .executeTakeFirst();
  return villageFrom(person, household?.village_code);
}

/** villageOf with the household's village already read (the bulk paths read them together). */
function villageFrom(person: Pick<Person, 'hukou_region_code'>, householdVillage: string | null | undefined) {
  if (householdVillage) return householdVillage;
  return person.hukou_region_code && person.hukou_region_code.length === 12 ? person.hukou_region_code : null;
}

export async function getPerson(db: Db, countyCode: string, personId: number): Promise<Person> {
  const person = await db
    .selectFrom('people')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('id', '=', personId)
    .executeTakeFirst();
  if (!person)
    throw new CollectionError('unknown_person', `人员 #${personId} 不在县级区划 ${countyCode} 的登记中`);
  return person;
}

/** Finds a person by document number (any document type) in the county. */
export async function personByDocument(db: Db, countyCode: string, docNumber: string): Promise<Person> {
  const person = await db
    .selectFrom('people')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('doc_number', '=', docNumber.trim().toUpperCase())
    .executeTakeFirst();
  if (!person) throw new CollectionError('unknown_person', `登记中没有证件号码为 ${docNumber} 的人员`);
  return person;
}

export interface TransitionInput {
  readonly event: string;
  readonly to: EnrollmentStatus;
  readonly reason?: string | null;
  readonly detail?: unknown;
  /** Columns changed with the transition (a fresh assessment, paid_fen …). */
  readonly set?: Partial<Omit<Enrollment, 'id' | 'version'>>;
  /** The states the enrollment must be in; default: its current state as read. */
  readonly from?: readonly EnrollmentStatus[];
}

/**
 * Changes an enrollment and records the event, check-and-act: the update only applies when the
 * row still has the version (and state) read, so of two concurrent writers exactly one wins and
 * the other gets `false` back.
 */
export async function transition(
  trx: Db,
  ctx: CollectionContext,
  enrollment: Pick<Enrollment, 'id' | 'status' | 'version'>,
  input: TransitionInput,
): Promise<boolean> {
  const from = input.from ?? [enrollment.status];
  const result = await trx
    .updateTable('enrollments')
    .set({ ...input.set, status: input.to, updated_at: ctx.now, version: sql`version + 1` })
    .where('id', '=', enrollment.id)
    .where('version', '=', enrollment.version)
    .where('status', 'in', from)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await trx
    .insertInto('enrollment_events')
    .values({
      county_code: ctx.countyCode,
      enrollment_id: enrollment.id,
      event: input.event,
      from_status: enrollment.status,
      to_status: input.to,
      reason: input.reason ?? null,
      detail: input.detail === undefined ? null : JSON.stringify(input.detail),
      actor: ctx.actor,
      at: ctx.now,
    })
    .execute();
  return true;
}

export interface EnrollInput {
  readonly personId: number;
  readonly source: EnrollmentSource;
  readonly benefitYear?: number;
  readonly coverageYear?: number | null;
  readonly withhold?: boolean;
  readonly reason?: string;
}

export interface EnrollResult {
  readonly enrollment: Enrollment;
  readonly assessment: Assessment;
  /** False when the person already had an enrollment for the year (it is returned unchanged). */
  readonly created: boolean;
}

/**
 * Enrolls one person for the campaign's benefit year: assessed now, awaiting payment. A person the
 * engine refuses (already in employee insurance, not in the scheme) is not enrolled: the error
 * says why, with the rule. A person with nothing to pay and a full direct subsidy is enrolled and
 * confirmed at once (the bureau's enrollment of full-subsidy people).
 */
export async function enroll(ctx: CollectionContext, input: EnrollInput): Promise<EnrollResult> {
  const found = await findCampaign(ctx.db, ctx.countyCode, input.benefitYear);
  return ctx.db.transaction().execute((trx) => enrollIn(trx, ctx, found, input));
}

/** Enrolls one person inside the caller's transaction (the bulk paths share one per chunk). */
export async function enrollIn(
  trx: Db,
  ctx: CollectionContext,
  { campaign, policy }: { campaign: Campaign; policy: Policy },
  input: EnrollInput,
): Promise<EnrollResult> {
  const person = await getPerson(trx, ctx.countyCode, input.personId);
  const existing = await enrollmentOf(trx, ctx.countyCode, person.id, campaign.benefit_year);
  if (existing)
    return { enrollment: existing, assessment: explainEnrollment(policy, existing), created: false };
  if (person.deceased_on) {
    throw new CollectionError('deceased', `${person.name} 已于 ${person.deceased_on} 死亡，不能参保`);
  }
  const assessment = await assessPerson(trx, ctx, policy, person.id, {
    coverageYear: input.coverageYear ?? null,
  });
  if (!assessment.eligible) throw new CollectionError('not_eligible', notEligibleMessage(person, assessment));
  const inserted = await trx
    .insertInto('enrollments')
    .values({
      county_code: ctx.countyCode,
      campaign_id: campaign.id,
      benefit_year: campaign.benefit_year,
      person_id: person.id,
      household_id: person.household_id,
      village_code: await villageOf(trx, person),
      status: 'awaiting_payment',
      source: input.source,
      coverage_year: input.coverageYear ?? null,
      withhold: input.withhold ? 1 : 0,
      paid_fen: 0,
      ...assessmentColumns(assessment, ctx.today),
      created_at: ctx.now,
      updated_at: ctx.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('enrollment_events')
    .values({
      county_code: ctx.countyCode,
      enrollment_id: inserted.id,
      event: 'created',
      from_status: null,
      to_status: 'awaiting_payment',
      reason: input.reason ?? null,
      detail: JSON.stringify({ source: input.source, pays: assessment.pays, why: assessment.why }),
      actor: ctx.actor,
      at: ctx.now,
    })
    .execute();
  let enrollment = inserted;
  if (isFullSubsidy(assessment)) enrollment = await confirmFullSubsidy(trx, ctx, inserted);
  return { enrollment, assessment, created: true };
}

/** Nothing to pay because direct subsidies cover it all: enrolled and confirmed by the bureau. */
const isFullSubsidy = (a: Assessment) => a.pays === 0 && a.subsidies.length > 0 && a.refundLater === 0;

/**
 * A person whose whole contribution is a direct subsidy: the subsidy is booked against its funder
 * and the enrollment confirmed without a payment (DOMAIN.md §2.3: enrolled by the bureau).
 */
async function confirmFullSubsidy(
  trx: Db,
  ctx: CollectionContext,
  enrollment: Enrollment,
): Promise<Enrollment> {
  await bookDirectSubsidies(trx, ctx, enrollment, ctx.today);
  const ok = await transition(trx, ctx, enrollment, {
    event: 'full_subsidy',
    to: 'confirmed',
    reason: '全额资助，由医保经办机构直接参保，无需个人缴费',
  });
  if (!ok) throw new CollectionError('concurrent', '参保记录已被同时修改，请重试');
  return getEnrollment(trx, ctx.countyCode, enrollment.id);
}

/**
 * Books an enrollment's direct subsidies in the journal: each funder owes its amount (Dr funder,
 * Cr the enrollment), once per enrollment (the idempotency key).
 */
export async function bookDirectSubsidies(
  trx: Db,
  ctx: CollectionContext,
  enrollment: Pick<Enrollment, 'id' | 'assessment'>,
  occurredOn: string,
): Promise<void> {
  const assessment = JSON.parse(enrollment.assessment) as StoredAssessment;
  for (const s of assessment.subsidies) {
    if (s.mode !== 'direct' || s.amount === 0) continue;
    await recordTransfer(trx, {
      countyCode: ctx.countyCode,
      kind: 'subsidy',
      businessType: 'enrollment',
      businessId: String(enrollment.id),
      idempotencyKey: `subsidy:${enrollment.id}:${s.funder}`,
      occurredOn,
      lines: [
        { account: `funder:${s.funder}`, amount: s.amount },
        { account: `enrollment:${enrollment.id}`, amount: -s.amount as typeof s.amount },
      ],
      actor: ctx.actor,
      memo: `${s.rule}`,
      recordedAt: ctx.now,
    });
  }
}

export async function getEnrollment(db: Db, countyCode: string, id: number): Promise<Enrollment> {
  const row = await db
    .selectFrom('enrollments')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new CollectionError('unknown_enrollment', `参保记录 #${id} 不存在`);
  return row;
}

/** A person's enrollment for the campaign year (latest campaign when no year is given), or null. */
export async function enrollmentOf(
  db: Db,
  countyCode: string,
  personId: number,
  benefitYear: number,
): Promise<Enrollment | null> {
  return (
    (await db
      .selectFrom('enrollments')
      .selectAll()
      .where('county_code', '=', countyCode)
      .where('person_id', '=', personId)
      .where('benefit_year', '=', benefitYear)
      .executeTakeFirst()) ?? null
  );
}

export interface BulkResult {
  readonly created: number;
  readonly confirmed: number;
  readonly existing: number;
  readonly skipped: readonly { readonly personId: number; readonly name: string; readonly reason: string }[];
}

/**
 * Renews last year's enrollees in bulk: everyone enrolled in the previous benefit year (from the
 * roster's enrollment history or last year's campaign) gets this year's enrollment, assessed now.
 * People the engine now refuses (joined employee insurance, died) are listed, not enrolled.
 */
export async function renewEnrollments(ctx: CollectionContext, benefitYear?: number): Promise<BulkResult> {
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  const previous = campaign.benefit_year - 1;
  const fromHistory = ctx.db
    .selectFrom('enrollment_history')
    .select('person_id')
    .where('county_code', '=', ctx.countyCode)
    .where('benefit_year', '=', previous);
  const fromCampaign = ctx.db
    .selectFrom('enrollments')
    .select('person_id')
    .where('county_code', '=', ctx.countyCode)
    .where('benefit_year', '=', previous)
    .where('status', 'in', ENROLLED);
  const rows = await fromHistory.union(fromCampaign).execute();
  return enrollMany(
    ctx,
    rows.map((r) => r.person_id),
    'renewal',
    campaign.benefit_year,
  );
}

/**
 * Enrolls the people certified in a subsidised group who are not yet enrolled: those the policy
 * subsidises in full are enrolled and confirmed by the bureau; the others are enrolled awaiting
 * payment (they appear on their village's mobilisation list until they pay).
 */
export async function enrollSubsidised(ctx: CollectionContext, benefitYear?: number): Promise<BulkResult> {
  const { campaign } = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  const rows = await ctx.db
    .selectFrom('person_groups')
    .select('person_id')
    .distinct()
    .where('county_code', '=', ctx.countyCode)
    .where('valid_from', '<=', ctx.today)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', ctx.today)]))
    .execute();
  return enrollMany(
    ctx,
    rows.map((r) => r.person_id),
    'bureau',
    campaign.benefit_year,
  );
}

/** People enrolled per transaction in the bulk paths (one commit per chunk, not per person). */
const ENROLL_CHUNK = 500;

type Skipped = BulkResult['skipped'][number];
interface ChunkResult {
  created: number;
  confirmed: number;
  existing: number;
  readonly skipped: Skipped[];
}
const noneYet = (): ChunkResult => ({ created: 0, confirmed: 0, existing: 0, skipped: [] });

/**
 * Enrolls many people a chunk at a time, each chunk in one transaction and set-based
 * (`enrollChunk`): a county's renewal is hundreds of thousands of people, and one by one it made
 * ten statements per person (on PostgreSQL each a round trip: 5,000 people took 24 s). A chunk
 * that meets another writer (someone enrolled one of its people meanwhile: the unique key) is
 * rolled back and enrolled person by person, where each person gets the precise answer.
 */
async function enrollMany(
  ctx: CollectionContext,
  personIds: readonly number[],
  source: EnrollmentSource,
  benefitYear: number,
): Promise<BulkResult> {
  const found = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  const total = noneYet();
  for (let start = 0; start < personIds.length; start += ENROLL_CHUNK) {
    const ids = personIds.slice(start, start + ENROLL_CHUNK);
    let result: ChunkResult;
    try {
      result = await ctx.db.transaction().execute((trx) => enrollChunk(trx, ctx, found, ids, source));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      result = await enrollOneByOne(ctx, found, ids, source);
    }
    total.created += result.created;
    total.confirmed += result.confirmed;
    total.existing += result.existing;
    total.skipped.push(...result.skipped);
  }
  // Payments, exports and reports read the new enrollments next (db/statistics.ts).
  await refreshStatistics(ctx.db, ['enrollments', 'enrollment_events'], total.created + total.confirmed);
  return total;
}

/**
 * `enrollIn` for a chunk of people with a statement per table: the same checks in the same order
 * (unknown person, already enrolled, deceased, facts, eligibility) and the same rows written;
 * full-subsidy people (few) are then confirmed one by one as `enrollIn` does.
 */
async function enrollChunk(
  trx: Db,
  ctx: CollectionContext,
  found: { campaign: Campaign; policy: Policy },
  personIds: readonly number[],
  source: EnrollmentSource,
): Promise<ChunkResult> {
  const { campaign, policy } = found;
  const result = noneYet();
  const people = new Map<number, Person>();
  const enrolled = new Set<number>();
  for (const part of chunks([...new Set(personIds)])) {
    // By id alone (the county is checked below), as personFactsBatch reads them.
    for (const p of await trx.selectFrom('people').selectAll().where('id', 'in', part).execute()) {
      if (p.county_code === ctx.countyCode) people.set(p.id, p);
    }
    for (const e of await trx
      .selectFrom('enrollments')
      .select('person_id')
      .where('county_code', '=', ctx.countyCode)
      .where('benefit_year', '=', campaign.benefit_year)
      .where('person_id', 'in', part)
      .execute()) {
      enrolled.add(e.person_id);
    }
  }
  const candidates: Person[] = [];
  for (const personId of personIds) {
    const person = people.get(personId);
    if (!person) {
      result.skipped.push({
        personId,
        name: '',
        reason: `人员 #${personId} 不在县级区划 ${ctx.countyCode} 的登记中`,
      });
    } else if (enrolled.has(personId)) {
      result.existing++;
    } else if (person.deceased_on) {
      result.skipped.push({
        personId,
        name: person.name,
        reason: `${person.name} 已于 ${person.deceased_on} 死亡，不能参保`,
      });
    } else {
      enrolled.add(personId); // a second mention of the person in the list counts as existing
      candidates.push(person);
    }
  }
  const assessed = await assessMany(
    trx,
    ctx.countyCode,
    policy,
    candidates.map((p) => ({ personId: p.id, asOf: ctx.today })),
  );
  const households = new Map<number, string | null>();
  const householdIds = [
    ...new Set(candidates.flatMap((p) => (p.household_id === null ? [] : [p.household_id]))),
  ];
  for (const part of chunks(householdIds)) {
    for (const h of await trx
      .selectFrom('households')
      .select(['id', 'village_code'])
      .where('id', 'in', part)
      .execute()) {
      households.set(h.id, h.village_code);
    }
  }
  const accepted: { person: Person; a: PersonAssessment }[] = [];
  for (const [n, person] of candidates.entries()) {
    const a = assessed[n] as PersonAssessment | FactsError;
    if (a instanceof FactsError) {
      result.skipped.push({
        personId: person.id,
        name: person.name,
        reason: `人员 #${person.id} 的登记信息不足以测算：${a.message}`,
      });
    } else if (!a.eligible) {
      result.skipped.push({ personId: person.id, name: person.name, reason: notEligibleMessage(person, a) });
    } else {
      accepted.push({ person, a });
    }
  }
  if (accepted.length === 0) return result;
  const villageFor = (p: Person) =>
    villageFrom(p, p.household_id === null ? null : households.get(p.household_id));
  const inserted = await trx
    .insertInto('enrollments')
    .values(
      accepted.map(({ person, a }) => ({
        county_code: ctx.countyCode,
        campaign_id: campaign.id,
        benefit_year: campaign.benefit_year,
        person_id: person.id,
        household_id: person.household_id,
        village_code: villageFor(person),
        status: 'awaiting_payment' as const,
        source,
        coverage_year: null,
        withhold: 0,
        paid_fen: 0,
        ...assessmentColumns(a, ctx.today),
        created_at: ctx.now,
        updated_at: ctx.now,
      })),
    )
    .returningAll()
    .execute();
  const byPerson = new Map(inserted.map((e) => [e.person_id, e]));
  const rows = accepted.map(({ person, a }) => ({ e: byPerson.get(person.id) as Enrollment, a }));
  await trx
    .insertInto('enrollment_events')
    .values(
      rows.map(({ e, a }) => ({
        county_code: ctx.countyCode,
        enrollment_id: e.id,
        event: 'created',
        from_status: null,
        to_status: 'awaiting_payment' as const,
        reason: null,
        detail: JSON.stringify({ source, pays: a.pays, why: a.why }),
        actor: ctx.actor,
        at: ctx.now,
      })),
    )
    .execute();
  for (const { e, a } of rows) {
    if (isFullSubsidy(a)) {
      await confirmFullSubsidy(trx, ctx, e);
      result.confirmed++;
    } else {
      result.created++;
    }
  }
  return result;
}

/** The chunk person by person in one transaction, a savepoint each: a refusal undoes only that person. */
async function enrollOneByOne(
  ctx: CollectionContext,
  found: { campaign: Campaign; policy: Policy },
  personIds: readonly number[],
  source: EnrollmentSource,
): Promise<ChunkResult> {
  const result = noneYet();
  const trx = await ctx.db.startTransaction().execute();
  try {
    for (const personId of personIds) {
      const point = await trx.savepoint('person').execute();
      try {
        const enrolled = await enrollIn(point, ctx, found, {
          personId,
          source,
          benefitYear: found.campaign.benefit_year,
        });
        await point.releaseSavepoint('person').execute();
        if (!enrolled.created) result.existing++;
        else if (enrolled.enrollment.status === 'confirmed') result.confirmed++;
        else result.created++;
      } catch (error) {
        await point.rollbackToSavepoint('person').execute();
        await point.releaseSavepoint('person').execute();
        if (!(error instanceof CollectionError)) throw error;
        const person = await trx
          .selectFrom('people')
          .select('name')
          .where('id', '=', personId)
          .executeTakeFirst();
        result.skipped.push({ personId, name: person?.name ?? '', reason: error.message });
      }
    }
    await trx.commit().execute();
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
  return result;
}

export interface Reassessed {
  readonly enrollmentId: number;
  readonly personId: number;
  readonly before: { readonly pays: number; readonly why: string };
  readonly after: { readonly pays: number; readonly why: string };
}

/**
 * Recomputes the assessment of everyone who has not paid yet, with today's facts; changed ones are
 * updated with an event. A person no longer eligible is suspended (with the reason) rather than
 * deleted. Full-subsidy people found this way are confirmed.
 */
export interface ReassessOptions {
  readonly benefitYear?: number;
  /** Only these people (those a department list just changed); default everyone not yet paid. */
  readonly personIds?: readonly number[];
}

/** Enrollments reassessed per transaction (facts read for the chunk at once). */
const REASSESS_CHUNK = 500;

export async function reassessPending(
  ctx: CollectionContext,
  options: ReassessOptions = {},
): Promise<Reassessed[]> {
  const { campaign, policy } = await findCampaign(ctx.db, ctx.countyCode, options.benefitYear);
  const pendingOf = (personIds: readonly number[] | null) => {
    let query = ctx.db
      .selectFrom('enrollments')
      .select(['id', 'person_id', 'status', 'version', 'why', 'pays_fen', 'policy_hash', 'coverage_year'])
      .where('county_code', '=', ctx.countyCode)
      .where('benefit_year', '=', campaign.benefit_year)
      .where('status', '=', 'awaiting_payment');
    if (personIds) query = query.where('person_id', 'in', personIds);
    return query.orderBy('id').execute();
  };
  const pending = options.personIds
    ? (await Promise.all(chunks(options.personIds, REASSESS_CHUNK).map(pendingOf))).flat()
    : await pendingOf(null);
  const changed: Reassessed[] = [];
  for (const part of chunks(pending, REASSESS_CHUNK)) {
    const assessed = await assessMany(
      ctx.db,
      ctx.countyCode,
      policy,
      part.map((e) => ({ personId: e.person_id, asOf: ctx.today, coverageYear: e.coverage_year })),
    );
    const updates = part.flatMap((enrollment, n) => {
      const a = assessed[n] as PersonAssessment | FactsError;
      // Not enough facts now: left as it was; the payment's own assessment decides.
      if (a instanceof FactsError) return [];
      const same =
        a.why === enrollment.why &&
        a.pays === enrollment.pays_fen &&
        a.policy.hash === enrollment.policy_hash;
      return same ? [] : [{ enrollment, a }];
    });
    if (updates.length === 0) continue;
    await ctx.db.transaction().execute(async (trx) => {
      for (const { enrollment, a } of updates) {
        const detail = {
          before: { pays: enrollment.pays_fen, why: enrollment.why },
          after: { pays: a.pays as number, why: a.why },
        };
        const ok = a.eligible
          ? await transition(trx, ctx, enrollment, {
              event: 'reassessed',
              to: 'awaiting_payment',
              reason: '缴费前登记信息变化，重新测算',
              detail,
              set: assessmentColumns(a, ctx.today),
            })
          : await transition(trx, ctx, enrollment, {
              event: 'reassessed',
              to: 'suspended',
              reason: (a.reasons ?? []).map((r) => r.text).join('；'),
              detail,
            });
        // Changed meanwhile (paid a moment ago): the payment reassessed it already.
        if (!ok) continue;
        if (a.eligible && a.pays === 0 && a.subsidies.length > 0 && a.refundLater === 0) {
          await confirmFullSubsidy(trx, ctx, await getEnrollment(trx, ctx.countyCode, enrollment.id));
        }
        changed.push({ enrollmentId: enrollment.id, personId: enrollment.person_id, ...detail });
      }
    });
  }
  return changed;
}

export interface StaleAssessment {
  readonly enrollmentId: number;
  readonly personId: number;
  readonly stored: { readonly pays: number; readonly why: string };
  readonly now: { readonly pays: number; readonly why: string; readonly eligible: boolean };
}

/**
 * Paid enrollments whose facts have changed since payment: listed for the bureau to decide
 * (refund, supplement), never applied silently.
 */
export async function staleAssessments(
  ctx: CollectionContext,
  benefitYear?: number,
): Promise<StaleAssessment[]> {
  const { campaign, policy } = await findCampaign(ctx.db, ctx.countyCode, benefitYear);
  const paid = await ctx.db
    .selectFrom('enrollments')
    .selectAll()
    .where('county_code', '=', ctx.countyCode)
    .where('benefit_year', '=', campaign.benefit_year)
    .where('status', 'in', ENROLLED)
    .execute();
  const stale: StaleAssessment[] = [];
  for (const part of chunks(paid, REASSESS_CHUNK)) {
    const assessed = await assessMany(
      ctx.db,
      ctx.countyCode,
      policy,
      part.map((e) => ({
        personId: e.person_id,
        asOf: e.assessed_on,
        paidOn: e.assessed_on,
        coverageYear: e.coverage_year,
      })),
    );
    part.forEach((e, n) => {
      const a = assessed[n] as PersonAssessment | FactsError;
      if (a instanceof FactsError) {
        throw new CollectionError('facts', `人员 #${e.person_id} 的登记信息不足以测算：${a.message}`);
      }
      if (a.why !== e.why || a.pays !== e.pays_fen) {
        stale.push({
          enrollmentId: e.id,
          personId: e.person_id,
          stored: { pays: e.pays_fen, why: e.why },
          now: { pays: a.pays, why: a.why, eligible: a.eligible },
        });
      }
    });
  }
  return stale;
}

/** Suspends, resumes or terminates an enrollment by the bureau, with the reason recorded. */
export async function setEnrollmentStatus(
  ctx: CollectionContext,
  enrollmentId: number,
  to: 'suspended' | 'awaiting_payment' | 'terminated',
  reason: string,
): Promise<Enrollment> {
  if (!reason.trim()) throw new CollectionError('reason_required', '请填写原因');
  return ctx.db.transaction().execute(async (trx) => {
    const e = await getEnrollment(trx, ctx.countyCode, enrollmentId);
    const allowed: Record<typeof to, readonly EnrollmentStatus[]> = {
      suspended: ['registered', 'awaiting_payment'],
      awaiting_payment: ['suspended'],
      terminated: ['registered', 'awaiting_payment', 'suspended'],
    };
    if (!allowed[to].includes(e.status)) {
      throw new CollectionError(
        'bad_transition',
        `参保记录 #${e.id} 当前为“${STATUS_LABELS[e.status]}”，不能改为“${STATUS_LABELS[to]}”${
          to === 'terminated' && ENROLLED.includes(e.status) ? '（已缴费的请走退费流程）' : ''
        }`,
      );
    }
    const ok = await transition(trx, ctx, e, { event: to, to, reason });
    if (!ok) throw new CollectionError('concurrent', '参保记录已被同时修改，请重试');
    return getEnrollment(trx, ctx.countyCode, e.id);
  });
}

export async function enrollmentHistory(db: Db, countyCode: string, enrollmentId: number) {
  return db
    .selectFrom('enrollment_events')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('enrollment_id', '=', enrollmentId)
    .orderBy('id')
    .execute();
}
