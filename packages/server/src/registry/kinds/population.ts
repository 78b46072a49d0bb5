/**
 * 人口花名册: the population roster from the household register (公安) or the villages' own
 * household lists. Creates or updates people and households; a person moving to another
 * household closes the old membership and opens a new one from the effective date.
 */
import type { Person, PersonUpdate } from '../../db/schema.ts';
import {
  FieldError,
  type PersonDocument,
  parseDateCell,
  parseDocument,
  parsePhone,
  parseSex,
} from '../fields.ts';
import type { ImportContext, ImportKind, ParsedRow } from '../kind.ts';
import { chunks, dayBefore, findPeople, newPerson, personKey } from '../people.ts';

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
};

type HouseholdCache = Map<string, { id: number; village_code: string | null }>;

async function ensureHouseholds(
  ctx: ImportContext,
  rows: readonly ParsedRow<PopulationRow>[],
): Promise<HouseholdCache> {
  let cache = ctx.state.get('households') as HouseholdCache | undefined;
  if (!cache) {
    cache = new Map();
    ctx.state.set('households', cache);
  }
  const wanted = new Map<string, string | null>();
  for (const { row } of rows) if (row.householdNumber) wanted.set(row.householdNumber, row.villageCode);
  const unknown = [...wanted.keys()].filter((n) => !cache.has(n));
  for (const part of chunks(unknown)) {
    const found = await ctx.db
      .selectFrom('households')
      .select(['id', 'number', 'village_code'])
      .where('county_code', '=', ctx.countyCode)
      .where('number', 'in', part)
      .execute();
    for (const h of found) cache.set(h.number, { id: h.id, village_code: h.village_code });
  }
  const toCreate = [...wanted].filter(([n]) => !cache.has(n));
  for (const part of chunks(toCreate)) {
    const created = await ctx.db
      .insertInto('households')
      .values(
        part.map(([number, village]) => ({
          county_code: ctx.countyCode,
          number,
          village_code: village,
          head_person_id: null,
          created_at: ctx.now,
          updated_at: ctx.now,
        })),
      )
      .returning(['id', 'number', 'village_code'])
      .execute();
    for (const h of created) cache.set(h.number, { id: h.id, village_code: h.village_code });
  }
  ctx.counts.householdsAdded = (ctx.counts.householdsAdded ?? 0) + toCreate.length;
  for (const [number, village] of wanted) {
    const h = cache.get(number);
    if (h && village && h.village_code !== village) {
      await ctx.db
        .updateTable('households')
        .set({ village_code: village, updated_at: ctx.now })
        .where('id', '=', h.id)
        .execute();
      h.village_code = village;
    }
  }
  return cache;
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
  const existing = await findPeople(
    ctx.db,
    ctx.countyCode,
    rows.map((r) => r.row.doc),
  );
  const householdOf = (row: PopulationRow) =>
    row.householdNumber ? (households.get(row.householdNumber)?.id ?? null) : null;
  const moved: { personId: number; householdId: number; relation: string | null; previous: number | null }[] =
    [];
  const created: ParsedRow<PopulationRow>[] = [];
  let updated = 0;
  let unchanged = 0;
  for (const r of rows) {
    const person = existing.get(personKey(r.row.doc));
    if (!person) {
      created.push(r);
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
  for (const part of chunks(created)) {
    const inserted = await ctx.db
      .insertInto('people')
      .values(
        part.map(({ row }) => ({
          ...newPerson(ctx, row),
          sex: row.sex,
          birth_date: row.birthDate,
          hukou_region_code: row.villageCode,
          address: row.address,
          household_id: householdOf(row),
          phone: row.phone,
          deceased_on: row.deceasedOn,
          school: row.school,
        })),
      )
      .returning(['id', 'household_id'])
      .execute();
    inserted.forEach((p, i) => {
      const row = part[i]?.row;
      if (p.household_id !== null && row)
        moved.push({ personId: p.id, householdId: p.household_id, relation: row.relation, previous: null });
    });
  }
  // Membership history: close the old household's row, open the new one, from the effective date.
  for (const m of moved) {
    if (m.previous !== null) {
      await ctx.db
        .updateTable('household_members')
        .set({ valid_to: dayBefore(ctx.effectiveDate) })
        .where('county_code', '=', ctx.countyCode)
        .where('person_id', '=', m.personId)
        .where('valid_to', 'is', null)
        .execute();
    }
  }
  for (const part of chunks(moved)) {
    await ctx.db
      .insertInto('household_members')
      .values(
        part.map((m) => ({
          county_code: ctx.countyCode,
          household_id: m.householdId,
          person_id: m.personId,
          relation: m.relation,
          valid_from: ctx.effectiveDate,
          valid_to: null,
          source_import_id: ctx.importId,
        })),
      )
      .execute();
  }
  for (const m of moved) {
    if (m.relation === '户主') {
      await ctx.db
        .updateTable('households')
        .set({ head_person_id: m.personId })
        .where('id', '=', m.householdId)
        .execute();
    }
  }
  ctx.counts.added = (ctx.counts.added ?? 0) + created.length;
  ctx.counts.updated = (ctx.counts.updated ?? 0) + updated;
  ctx.counts.unchanged = (ctx.counts.unchanged ?? 0) + unchanged;
}
