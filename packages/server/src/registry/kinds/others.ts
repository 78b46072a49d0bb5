/**
 * The smaller lists: last year's enrollment roster, student rosters, employee-insurance and
 * other-region lists, and e-certificate activations. Each names people by document and creates
 * the ones the registry lacks.
 */
import {
  FieldError,
  type PersonDocument,
  parseDateCell,
  parseNonNegativeInteger,
  parseYear,
  parseYuanCell,
} from '../fields.ts';
import type { ImportContext, ImportKind, ParsedRow } from '../kind.ts';
import { chunks, personKey, rowsWithPeople } from '../people.ts';
import { docTypeColumn, field, idColumn, nameColumn, readPerson } from './population.ts';

interface Named {
  readonly doc: PersonDocument;
  readonly name: string;
}

const notAfterToday = (ctx: ImportContext, text: string, what: string) => {
  const d = parseDateCell(text);
  if (d > ctx.today) throw new FieldError(`${what}晚于今天：${d}`);
  return d;
};

// ---- 上年度参保名单 --------------------------------------------------------------------------

interface EnrollmentRow extends Named {
  readonly benefitYear: number;
  readonly amountFen: number | null;
  readonly regionCode: string | null;
}

export const enrollment: ImportKind<EnrollmentRow> = {
  kind: 'enrollment',
  tables: ['enrollment_history'],
  label: '上年度参保名单',
  description: '医保局导出的往年度参保人员名单，用于续保、公示和未参保排查。',
  needsDepartment: false,
  columns: [
    nameColumn,
    docTypeColumn,
    idColumn,
    {
      key: 'year',
      header: '参保年度',
      aliases: ['待遇年度', '年度'],
      required: true,
      note: '待遇享受年度',
      example: '2022',
    },
    {
      key: 'amount',
      header: '个人缴费金额',
      aliases: ['缴费金额', '个人缴费'],
      required: false,
      note: '元',
      example: '320',
    },
    {
      key: 'village',
      header: '村（社区）',
      aliases: ['村', '社区', '所属村'],
      required: false,
      note: '参保所在村（社区）',
      example: '蕲县村',
    },
  ],
  parseRow(values, report, ctx) {
    const person = readPerson(values, report);
    const benefitYear = field(report, 'year', () => parseYear(values.year ?? ''));
    const amountFen = values.amount
      ? field(report, 'amount', () => parseYuanCell(values.amount as string))
      : null;
    let regionCode: string | null = null;
    if (values.village) {
      const region = ctx.regions.resolve(values.village);
      if (typeof region === 'string') report('village', region);
      else regionCode = region.code;
    }
    if (!person || benefitYear === null) return null;
    return { ...person, benefitYear, amountFen, regionCode };
  },
  uniqueKey: (row) => `${personKey(row.doc)}:${row.benefitYear}`,
  async writeBatch(rows: readonly ParsedRow<EnrollmentRow>[], ctx) {
    const values = (await rowsWithPeople(ctx, rows)).map(({ row, person }) => ({
      county_code: ctx.countyCode,
      person_id: person.id,
      benefit_year: row.benefitYear,
      insured_region_code: row.regionCode,
      amount_fen: row.amountFen,
      source_import_id: ctx.importId,
    }));
    let written = 0;
    for (const part of chunks(values)) {
      const result = await ctx.db
        .insertInto('enrollment_history')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['county_code', 'person_id', 'benefit_year']).doUpdateSet((eb) => ({
            insured_region_code: eb.ref('excluded.insured_region_code'),
            amount_fen: eb.ref('excluded.amount_fen'),
          })),
        )
        .executeTakeFirst();
      written += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    ctx.counts.enrollments = (ctx.counts.enrollments ?? 0) + written;
  },
};

// ---- 学生花名册 ------------------------------------------------------------------------------

interface StudentRow extends Named {
  readonly school: string;
}

export const students: ImportKind<StudentRow> = {
  kind: 'students',
  tables: ['people'],
  label: '学生花名册',
  description: '教育部门提供的中小学生、在园幼儿花名册：标记学生身份和学校。',
  needsDepartment: false,
  columns: [
    nameColumn,
    docTypeColumn,
    idColumn,
    {
      key: 'school',
      header: '学校',
      aliases: ['学校名称', '就读学校', '幼儿园'],
      required: true,
      note: '学校或幼儿园名称',
      example: '祁门县第一中学',
    },
    { key: 'grade', header: '年级', aliases: ['班级'], required: false, note: '', example: '七年级' },
  ],
  parseRow(values, report) {
    const person = readPerson(values, report);
    const school = values.school?.trim() ?? '';
    if (!school) report('school', '学校为空');
    return person && school ? { ...person, school } : null;
  },
  uniqueKey: (row) => personKey(row.doc),
  async writeBatch(rows: readonly ParsedRow<StudentRow>[], ctx) {
    let updated = 0;
    for (const { row, person } of await rowsWithPeople(ctx, rows)) {
      if (person.is_student === 1 && person.school === row.school) continue;
      await ctx.db
        .updateTable('people')
        .set({ is_student: 1, school: row.school, updated_at: ctx.now })
        .where('id', '=', person.id)
        .execute();
      updated++;
    }
    ctx.counts.updated = (ctx.counts.updated ?? 0) + updated;
  },
};

// ---- 职工医保及异地参保名单 -------------------------------------------------------------------

interface ExternalRow extends Named {
  readonly kind: 'employee_insurance' | 'other_region';
  readonly detail: string | null;
  readonly consecutiveYears: number | null;
  readonly validFrom: string | null;
  readonly stoppedOn: string | null;
}

const EXTERNAL_KINDS: Readonly<Record<string, ExternalRow['kind']>> = {
  职工医保: 'employee_insurance',
  城镇职工医保: 'employee_insurance',
  职工基本医疗保险: 'employee_insurance',
  异地居民医保: 'other_region',
  外地居民医保: 'other_region',
  其他统筹地区居民医保: 'other_region',
  县外居民医保: 'other_region',
};

export const external: ImportKind<ExternalRow> = {
  kind: 'external',
  tables: ['external_coverage'],
  label: '职工医保及异地参保名单',
  description: '已参加职工医保或在其他统筹地区参加居民医保的人员，用于杜绝重复参保和判断补办参保的待遇起始。',
  needsDepartment: false,
  columns: [
    nameColumn,
    docTypeColumn,
    idColumn,
    {
      key: 'kind',
      header: '参保类型',
      aliases: ['险种', '参保险种'],
      required: true,
      note: '职工医保 / 异地居民医保',
      example: '职工医保',
    },
    {
      key: 'detail',
      header: '参保单位或地区',
      aliases: ['参保单位', '参保地', '单位名称'],
      required: false,
      note: '',
      example: '某某公司',
    },
    {
      key: 'years',
      header: '连续缴费年限',
      aliases: ['连续参保年限'],
      required: false,
      note: '职工医保连续缴费整年数（不含补缴）',
      example: '3',
    },
    {
      key: 'validFrom',
      header: '参保日期',
      aliases: ['参保开始日期'],
      required: false,
      note: '',
      example: '2019-07-01',
    },
    {
      key: 'stoppedOn',
      header: '停保日期',
      aliases: ['中断缴费日期', '终止日期'],
      required: false,
      note: '仍在参保的留空',
      example: '',
    },
  ],
  parseRow(values, report, ctx) {
    const person = readPerson(values, report);
    const kindText = values.kind?.trim() ?? '';
    const kind = EXTERNAL_KINDS[kindText];
    if (!kind) report('kind', `参保类型应为：${Object.keys(EXTERNAL_KINDS).join('、')}；实际为“${kindText}”`);
    const consecutiveYears = values.years
      ? field(report, 'years', () => parseNonNegativeInteger(values.years as string))
      : null;
    const validFrom = values.validFrom
      ? field(report, 'validFrom', () => parseDateCell(values.validFrom as string))
      : null;
    const stoppedOn = values.stoppedOn
      ? field(report, 'stoppedOn', () => notAfterToday(ctx, values.stoppedOn as string, '停保日期'))
      : null;
    if (!person || !kind) return null;
    return { ...person, kind, detail: values.detail?.trim() || null, consecutiveYears, validFrom, stoppedOn };
  },
  uniqueKey: (row) => `${personKey(row.doc)}:${row.kind}`,
  async writeBatch(rows: readonly ParsedRow<ExternalRow>[], ctx) {
    let added = 0;
    let updated = 0;
    for (const { row, line, person } of await rowsWithPeople(ctx, rows)) {
      const current = await ctx.db
        .selectFrom('external_coverage')
        .selectAll()
        .where('county_code', '=', ctx.countyCode)
        .where('person_id', '=', person.id)
        .where('kind', '=', row.kind)
        .executeTakeFirst();
      const values = {
        detail: row.detail,
        consecutive_years: row.consecutiveYears,
        valid_from: row.validFrom,
        stopped_on: row.stoppedOn,
      };
      if (!current) {
        await ctx.db
          .insertInto('external_coverage')
          .values({
            county_code: ctx.countyCode,
            person_id: person.id,
            kind: row.kind,
            region_code: null,
            source_import_id: ctx.importId,
            source_line: line,
            ...values,
          })
          .execute();
        added++;
      } else if (Object.entries(values).some(([k, v]) => current[k as keyof typeof values] !== v)) {
        await ctx.db
          .updateTable('external_coverage')
          .set({ ...values, source_import_id: ctx.importId, source_line: line })
          .where('id', '=', current.id)
          .execute();
        updated++;
      }
    }
    ctx.counts.added = (ctx.counts.added ?? 0) + added;
    ctx.counts.updated = (ctx.counts.updated ?? 0) + updated;
  },
};

// ---- 医保电子凭证激活名单 ----------------------------------------------------------------------

interface EcertRow extends Named {
  readonly activatedOn: string;
}

export const ecert: ImportKind<EcertRow> = {
  kind: 'ecert',
  tables: ['ecert_activations'],
  label: '医保电子凭证激活名单',
  description: '医保电子凭证激活记录，用于计算激活率。',
  needsDepartment: false,
  columns: [
    nameColumn,
    docTypeColumn,
    idColumn,
    {
      key: 'activatedOn',
      header: '激活日期',
      aliases: ['激活时间'],
      required: true,
      note: '',
      example: '2021-11-15',
    },
  ],
  parseRow(values, report, ctx) {
    const person = readPerson(values, report);
    const activatedOn = field(report, 'activatedOn', () =>
      notAfterToday(ctx, values.activatedOn ?? '', '激活日期'),
    );
    return person && activatedOn ? { ...person, activatedOn } : null;
  },
  uniqueKey: (row) => personKey(row.doc),
  async writeBatch(rows: readonly ParsedRow<EcertRow>[], ctx) {
    const values = (await rowsWithPeople(ctx, rows)).map(({ row, person }) => ({
      county_code: ctx.countyCode,
      person_id: person.id,
      activated_on: row.activatedOn,
      source_import_id: ctx.importId,
    }));
    for (const part of chunks(values)) {
      // The first activation counts; a later list repeating it changes nothing.
      await ctx.db
        .insertInto('ecert_activations')
        .values(part)
        .onConflict((oc) => oc.columns(['county_code', 'person_id']).doNothing())
        .execute();
    }
    ctx.counts.activations = (ctx.counts.activations ?? 0) + values.length;
  },
};
