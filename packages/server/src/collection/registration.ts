/**
 * New enrollment of someone the registry does not have yet (瑶海区 五（二）: name, sex, ID number,
 * address, phone, identity document; a newborn registered by the guardian): the person is added to
 * the registry — into a household and village when given — and enrolled in one transaction, so a
 * refusal (not eligible, a bad field) leaves no half-registered person behind.
 */
import type { Person } from '../db/schema.ts';
import { FieldError, parseDocument, parsePhone, parseSex } from '../registry/fields.ts';
import { RegionLookup } from '../registry/regions.ts';
import { findCampaign } from './campaign.ts';
import { type CollectionContext, CollectionError } from './context.ts';
import { type EnrollResult, enroll, enrollIn } from './enrollments.ts';

export interface NewResident {
  readonly name: string;
  /** 证件类型 as written (身份证, 护照 …); default: read from an 18-character number. */
  readonly docType?: string;
  readonly docNumber: string;
  readonly sex?: string;
  readonly address?: string;
  readonly phone?: string;
  /** 村（社区）: name or 12-digit code. */
  readonly village?: string;
  /** 户号: joins that household (created when new). */
  readonly householdNumber?: string;
  readonly relation?: string;
  readonly newborn?: boolean;
  readonly coverageYear?: number | null;
  readonly withhold?: boolean;
  /**
   * The household the form was opened on (the web's newborn form): a document already registered
   * must be one of its members. Anyone else's is refused without their name or whereabouts, so the
   * form cannot be used to look up or enroll people outside the clerk's household and region.
   */
  readonly memberOf?: number;
}

export interface RegistrationResult extends EnrollResult {
  readonly person: Person;
  /** False when the person was already in the registry (the name must match). */
  readonly registered: boolean;
}

/** A field's problem, named as the form names it. */
function field<T>(label: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof FieldError) throw new CollectionError('field', `${label}：${error.message}`);
    throw error;
  }
}

export async function registerAndEnroll(
  ctx: CollectionContext,
  input: NewResident,
): Promise<RegistrationResult> {
  const name = input.name.trim();
  if (!name) throw new CollectionError('field', '姓名：不能为空');
  const document = field('证件号码', () => parseDocument(input.docType ?? '', input.docNumber));
  const sex = input.sex?.trim() ? field('性别', () => parseSex(input.sex as string)) : document.sex;
  if (document.sex && sex !== document.sex) throw new CollectionError('field', '性别：与身份证号码不一致');
  const phone = input.phone?.trim() ? field('联系电话', () => parsePhone(input.phone as string)) : null;
  const regions = await RegionLookup.load(ctx.db, ctx.countyCode);
  let villageCode: string | null = null;
  if (input.village?.trim()) {
    const village = regions.resolve(input.village);
    if (typeof village === 'string') throw new CollectionError('field', `村（社区）：${village}`);
    villageCode = village.code;
  }

  const existing = await ctx.db
    .selectFrom('people')
    .selectAll()
    .where('county_code', '=', ctx.countyCode)
    .where('doc_type', '=', document.docType)
    .where('doc_number', '=', document.number)
    .executeTakeFirst();
  if (existing) {
    if (input.memberOf !== undefined && existing.household_id !== input.memberOf) {
      throw new CollectionError(
        'field',
        `证件号码：${document.number} 已有登记但不是本户成员，不能在本户登记（请核对号码）`,
      );
    }
    if (existing.name !== name) {
      throw new CollectionError(
        'field',
        `证件号码 ${document.number} 已登记为“${existing.name}”，与“${name}”不符`,
      );
    }
    const result = await enroll(ctx, {
      personId: existing.id,
      source: input.newborn ? 'newborn' : 'new',
      coverageYear: input.coverageYear ?? null,
      withhold: input.withhold === true,
    });
    return { ...result, person: existing, registered: false };
  }

  // Person, household and enrollment together: the enrollment's refusal undoes the registration.
  const campaign = await findCampaign(ctx.db, ctx.countyCode);
  let person: Person | null = null;
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      let householdId: number | null = null;
      if (input.householdNumber?.trim()) {
        const number = input.householdNumber.trim();
        const household =
          (await trx
            .selectFrom('households')
            .select(['id', 'village_code'])
            .where('county_code', '=', ctx.countyCode)
            .where('number', '=', number)
            .executeTakeFirst()) ??
          (await trx
            .insertInto('households')
            .values({
              county_code: ctx.countyCode,
              number,
              village_code: villageCode,
              head_person_id: null,
              created_at: ctx.now,
              updated_at: ctx.now,
            })
            .returning(['id', 'village_code'])
            .executeTakeFirstOrThrow());
        householdId = household.id;
        villageCode ??= household.village_code;
      }
      person = await trx
        .insertInto('people')
        .values({
          county_code: ctx.countyCode,
          doc_type: document.docType,
          doc_number: document.number,
          name,
          sex,
          birth_date: document.birthDate,
          hukou_region_code: villageCode ?? ctx.countyCode,
          residence_region_code: null,
          address: input.address?.trim() || null,
          household_id: householdId,
          phone,
          deceased_on: null,
          is_student: 0,
          school: null,
          created_at: ctx.now,
          updated_at: ctx.now,
          source_import_id: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (householdId !== null) {
        await trx
          .insertInto('household_members')
          .values({
            county_code: ctx.countyCode,
            household_id: householdId,
            person_id: person.id,
            relation: input.relation?.trim() || null,
            valid_from: ctx.today,
            valid_to: null,
            source_import_id: null,
          })
          .execute();
      }
      const result = await enrollIn(trx, ctx, campaign, {
        personId: person.id,
        source: input.newborn ? 'newborn' : 'new',
        coverageYear: input.coverageYear ?? null,
        withhold: input.withhold === true,
      });
      return { ...result, person, registered: true };
    });
  } catch (error) {
    if (person !== null && error instanceof CollectionError) {
      throw new CollectionError(error.code, `${error.message}（未登记该人员）`);
    }
    throw error;
  }
}
