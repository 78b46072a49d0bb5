/**
 * 人口花名册: the population roster from the household register (公安) or the villages' own
 * household lists. Creates or updates people and households; a person moving to another
 * household closes the old membership and opens a new one from the effective date.
 */
import { CompiledQuery } from 'kysely';
import type { DocType, Person, PersonUpdate } from '../../db/schema.ts';
import {
  FieldError,
  type PersonDocument,
  parseDateCell,
  parseDocument,
  parsePhone,
  parseSex,
} from '../fields.ts';
import type { ImportContext, ImportKind, ParsedRow } from '../kind.ts';
import {
  type BulkTable,
  chunks,
  dayBefore,
  findPeople,
  insertPeople,
  insertRows,
  personKey,
} from '../people.ts';

export interface PopulationRow {
  readonly doc: PersonDocument;
  readonly name: string;
  readonly sex: 'male' | 'female' | null;
  readonly birthDate: string | null;
  readonly householdNumber: string | null;
  readonly relation: string | null;
  readonly villageCode: string | null;
  readonly address: string | null;
  readonly phone: string | null;
  readonly deceasedOn: string | null;
  readonly school: string | null;
}

/** Runs a field parser, reporting its FieldError against the column. */
export function field<T>(
  report: (field: string, reason: string) => void,
  key: string,
  parse: () => T,
): T | null {
  try {
    return parse();
  } catch (error) {
    if (error instanceof FieldError) {
      report(key, error.message);
      return null;
    }
    throw error;
  }
}

export const nameColumn = {
  key: 'name',
  header: '姓名',
  aliases: ['参保人姓名', '人员姓名'],
  required: true,
  note: '与证件一致',
  example: '张三',
} as const;
export const docTypeColumn = {
  key: 'docType',
  header: '证件类型',
  required: false,
  note: '居民身份证（默认）、港澳台居民居住证、外国人永久居留身份证、护照、其他',
  example: '居民身份证',
} as const;
export const idColumn = {
  key: 'idNumber',
  header: '公民身份号码',
  aliases: ['身份证号码', '身份证号', '证件号码', '身份证件号码'],
  required: true,
  note: '18位，按 GB 11643 校验；请以文本格式保存',
  example: '341024198001010013',
} as const;

/** Reads name and document; shared by every kind that names a person. */
export function readPerson(
  values: Readonly<Record<string, string>>,
  report: (field: string, reason: string) => void,
): { name: string; doc: PersonDocument } | null {
  const name = values.name?.trim() ?? '';
  if (!name) report('name', '姓名为空');
  else if (name.length > 50) report('name', '姓名过长');
  const doc = field(report, 'idNumber', () => parseDocument(values.docType ?? '', values.idNumber ?? ''));
  return name && name.length <= 50 && doc ? { name, doc } : null;
}

export const population: ImportKind<PopulationRow> = {
  kind: 'population',
  label: '人口花名册',
  description: '户籍人口或村（社区）花名册：人员、户、与户主关系、所属村（社区）。',
  needsDepartment: false,
  columns: [
    nameColumn,
    docTypeColumn,
    idColumn,
    { key: 'sex', header: '性别', required: false, note: '男/女；须与身份证号码一致', example: '男' },
    {
      key: 'birthDate',
      header: '出生日期',
      required: false,
      note: '须与身份证号码一致',
      example: '1980-01-01',
    },
    {
      key: 'householdNumber',
      header: '户号',
      aliases: ['户编号'],
      required: false,
      note: '户口簿上的户号',
      example: '341024001001',
    },
    {
      key: 'relation',
      header: '与户主关系',
      aliases: ['家庭关系', '关系'],
      required: false,
      note: '户主、配偶、子、女……',
      example: '户主',
    },
    {
      key: 'township',
      header: '乡镇（街道）',
      aliases: ['乡镇', '乡镇街道', '所属乡镇'],
      required: false,
      note: '村名重名时用于区分',
      example: '祁山镇',
    },
    {
      key: 'village',
      header: '村（社区）',
      aliases: ['村', '社区', '村名', '所属村', '村社区', '行政村'],
      required: false,
      note: '村（社区）名称或12位统计用区划代码',
      example: '蕲县村',
    },
    {
      key: 'address',
      header: '户籍地址',
      aliases: ['住址', '地址'],
      required: false,
      note: '',
      example: '祁门县祁山镇某村1号',
    },
    {
      key: 'phone',
      header: '联系电话',
      aliases: ['手机号码', '电话', '联系方式'],
      required: false,
      note: '手机或固定电话',
      example: '13800000000',
    },
    { key: 'deceasedOn', header: '死亡日期', required: false, note: '已死亡人员填写', example: '' },
    {
      key: 'school',
      header: '学校',
      aliases: ['就读学校'],
      required: false,
      note: '在校学生填写',
      example: '',
    },
  ],
  parseRow(values, report, ctx) {
    const person = readPerson(values, report);
    const sex = values.sex ? field(report, 'sex', () => parseSex(values.sex as string)) : null;
    const birthDate = values.birthDate
      ? field(report, 'birthDate', () => parseDateCell(values.birthDate as string))
      : null;
    const phone = values.phone ? field(report, 'phone', () => parsePhone(values.phone as string)) : null;
    const deceasedOn = values.deceasedOn
      ? field(report, 'deceasedOn', () => {
          const d = parseDateCell(values.deceasedOn as string);
          if (d > ctx.today) throw new FieldError(`死亡日期晚于今天：${d}`);
          return d;
        })
      : null;
    if (person && sex && person.doc.sex && sex !== person.doc.sex) {
      report('sex', `与身份证号码不符（号码显示为${person.doc.sex === 'male' ? '男' : '女'}）`);
    }
    if (person && birthDate && person.doc.birthDate && birthDate !== person.doc.birthDate) {
      report('birthDate', `与身份证号码不符（号码显示为 ${person.doc.birthDate}）`);
    }
    let villageCode: string | null = null;
    if (values.village) {
      const region = ctx.regions.resolve(values.village, values.township ?? '');
      if (typeof region === 'string') report('village', region);
      else villageCode = region.code;
    }
    if (!person) return null;
    return {
      doc: person.doc,
      name: person.name,
      sex: person.doc.sex ?? sex,
      birthDate: person.doc.birthDate ?? birthDate,
      householdNumber: values.householdNumber?.trim() || null,
      relation: values.relation?.trim() || null,
      villageCode,
      address: values.address?.trim() || null,
      phone,
      deceasedOn,
      school: values.school?.trim() || null,
    };
  },
  uniqueKey: (row) => personKey(row.doc),
  writeBatch: writePopulation,
  tables: ['people', 'households', 'household_members'],
};

interface HouseholdRef {
  readonly id: number;
  village_code: string | null;
}

const HOUSEHOLDS_TABLE: BulkTable = {
  name: 'households',
  columns: [
    ['county_code', 'text'],
    ['number', 'text'],
    ['village_code', 'text'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
};

const MEMBERS_TABLE: BulkTable = {
  name: 'household_members',
  columns: [
    ['county_code', 'text'],
    ['household_id', 'bigint'],
    ['person_id', 'bigint'],
    ['relation', 'text'],
    ['valid_from', 'date'],
    ['valid_to', 'date'],
    ['source_import_id', 'bigint'],
  ],
};

/**
 * The households of this batch by number, found or created. Only the previous batch's households
 * are kept between batches (a household's rows are usually together, and may straddle two
 * batches); any other is looked up again. Keeping every household of a 1,000,000-person roster
 * would hold some 300,000 entries for the whole import.
 */
async function ensureHouseholds(
  ctx: ImportContext,
  rows: readonly ParsedRow<PopulationRow>[],
): Promise<Map<string, HouseholdRef>> {
  const previous = (ctx.state.get('households') as Map<string, HouseholdRef> | undefined) ?? new Map();
  const households = new Map<string, HouseholdRef>();
  ctx.state.set('households', households);
  const wanted = new Map<string, string | null>();
  for (const { row } of rows) if (row.householdNumber) wanted.set(row.householdNumber, row.villageCode);
  const unknown: string[] = [];
  for (const number of wanted.keys()) {
    const known = previous.get(number);
    if (known) households.set(number, known);
    else unknown.push(number);
  }
  // As for people: insert the unknown households, skipping those the registry has, then look up
  // only those. On PostgreSQL a lookup by number inside the import's own transaction runs without
  // column statistics for the new rows and was planned as a scan of the county's households, each
  // batch; a new roster now needs none.
  const created = await insertRows<{ id: number; number: string; village_code: string | null }>(
    ctx.db,
    ctx.dialect,
    HOUSEHOLDS_TABLE,
    unknown.map((number) => [number, wanted.get(number) ?? null]),
    {
      returning: 'id, number, village_code',
      skipExisting: ['county_code', 'number'],
      fixed: { county_code: ctx.countyCode, created_at: ctx.now, updated_at: ctx.now },
    },
  );
  for (const h of created) households.set(h.number, { id: h.id, village_code: h.village_code });
  const existing = unknown.filter((number) => !households.has(number));
  for (const part of chunks(existing)) {
    const found = await ctx.db
      .selectFrom('households')
      .select(['id', 'number', 'village_code'])
      .where('county_code', '=', ctx.countyCode)
      .where('number', 'in', part)
      .execute();
    for (const h of found) households.set(h.number, { id: h.id, village_code: h.village_code });
  }
  ctx.counts.householdsAdded = (ctx.counts.householdsAdded ?? 0) + created.length;
  for (const [number, village] of wanted) {
    const h = households.get(number);
    if (h && village && h.village_code !== village) {
      await ctx.db
        .updateTable('households')
        .set({ village_code: village, updated_at: ctx.now })
        .where('id', '=', h.id)
        .execute();
      h.village_code = village;
    }
  }
  return households;
}

/** The fields a roster row sets; an empty cell leaves what the registry has. */
function changes(person: Person, row: PopulationRow, householdId: number | null): PersonUpdate {
  const set: PersonUpdate = {};
  const maybe = <K extends keyof PersonUpdate>(column: K, value: PersonUpdate[K] | null) => {
    if (value !== null && value !== undefined && person[column as keyof Person] !== value)
      set[column] = value;
  };
  maybe('name', row.name);
  maybe('sex', row.sex);
  maybe('birth_date', row.birthDate);
  maybe('hukou_region_code', row.villageCode);
  maybe('address', row.address);
  maybe('household_id', householdId);
  maybe('phone', row.phone);
  maybe('deceased_on', row.deceasedOn);
  maybe('school', row.school);
  return set;
}

async function writePopulation(rows: readonly ParsedRow<PopulationRow>[], ctx: ImportContext): Promise<void> {
  const households = await ensureHouseholds(ctx, rows);
  const householdOf = (row: PopulationRow) =>
    row.householdNumber ? (households.get(row.householdNumber)?.id ?? null) : null;
  // Every row is inserted as a new person, skipping those whose document the registry already
  // has; only those are then looked up, to be updated. A new county's roster (every row new)
  // needs no lookup at all. (A lookup by document inside the import's own transaction can also
  // be planned badly by PostgreSQL, which has no statistics for the new rows yet; see finish.)
  const inserted = await insertPeople<{ id: number; doc_type: DocType; doc_number: string }>(
    ctx,
    rows.map(({ row }) => ({
      doc: row.doc,
      name: row.name,
      sex: row.sex,
      birthDate: row.birthDate,
      hukouRegionCode: row.villageCode,
      address: row.address,
      householdId: householdOf(row),
      phone: row.phone,
      deceasedOn: row.deceasedOn,
      school: row.school,
    })),
    { returning: 'id, doc_type, doc_number', skipExisting: true },
  );
  // RETURNING's order is not promised: match the new ids to the rows by document.
  const newIds = new Map(
    inserted.map((p) => [personKey({ docType: p.doc_type, number: p.doc_number }), p.id]),
  );
  const existing = await findPeople(
    ctx.db,
    ctx.countyCode,
    rows.filter((r) => !newIds.has(personKey(r.row.doc))).map((r) => r.row.doc),
  );
  const moved: { personId: number; householdId: number; relation: string | null; previous: number | null }[] =
    [];
  const created: PopulationRow[] = [];
  let updated = 0;
  let unchanged = 0;
  for (const r of rows) {
    const person = existing.get(personKey(r.row.doc));
    if (!person) {
      created.push(r.row);
      continue;
    }
    const householdId = householdOf(r.row);
    const set = changes(person, r.row, householdId);
    if (Object.keys(set).length === 0) {
      unchanged++;
      continue;
    }
    updated++;
    await ctx.db
      .updateTable('people')
      .set({ ...set, updated_at: ctx.now, source_import_id: ctx.importId })
      .where('id', '=', person.id)
      .execute();
    if (set.household_id !== undefined && householdId !== null) {
      moved.push({
        personId: person.id,
        householdId,
        relation: r.row.relation,
        previous: person.household_id,
      });
    }
  }
  for (const row of created) {
    const householdId = householdOf(row);
    const personId = newIds.get(personKey(row.doc));
    if (householdId !== null && personId !== undefined)
      moved.push({ personId, householdId, relation: row.relation, previous: null });
  }
  // Membership history: close the old household's row, open the new one, from the effective date.
  const leaving = moved.filter((m) => m.previous !== null).map((m) => m.personId);
  for (const part of chunks(leaving)) {
    await ctx.db
      .updateTable('household_members')
      .set({ valid_to: dayBefore(ctx.effectiveDate) })
      .where('county_code', '=', ctx.countyCode)
      .where('person_id', 'in', part)
      .where('valid_to', 'is', null)
      .execute();
  }
  await insertRows(
    ctx.db,
    ctx.dialect,
    MEMBERS_TABLE,
    moved.map((m) => [m.householdId, m.personId, m.relation]),
    {
      fixed: {
        county_code: ctx.countyCode,
        valid_from: ctx.effectiveDate,
        valid_to: null,
        source_import_id: ctx.importId,
      },
    },
  );
  // The head of each household: the last 户主 row of the batch for it wins, as row by row would.
  const heads = new Map<number, number>();
  for (const m of moved) if (m.relation === '户主') heads.set(m.householdId, m.personId);
  await setHeads(ctx, heads);
  ctx.counts.added = (ctx.counts.added ?? 0) + created.length;
  ctx.counts.updated = (ctx.counts.updated ?? 0) + updated;
  ctx.counts.unchanged = (ctx.counts.unchanged ?? 0) + unchanged;
}

/**
 * households.head_person_id for many households in one statement per batch (an UPDATE … FROM
 * the pairs as JSON): a statement per household was a third of a new roster's statements.
 */
async function setHeads(ctx: ImportContext, heads: ReadonlyMap<number, number>): Promise<void> {
  if (heads.size === 0) return;
  const pairs = JSON.stringify([...heads]);
  const text =
    ctx.dialect === 'postgres'
      ? 'update "households" set "head_person_id" = (e ->> 1)::bigint from jsonb_array_elements($1::jsonb) as e where "households"."id" = (e ->> 0)::bigint'
      : 'update "households" set "head_person_id" = value ->> 1 from jsonb_each(?) where "households"."id" = value ->> 0';
  await ctx.db.executeQuery(CompiledQuery.raw(text, [pairs]));
}
