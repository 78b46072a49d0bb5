/**
 * 部门认定名单: a certifying department's list of the people it certifies in subsidised groups
 * (民政: 特困、低保…; 乡村振兴: 监测、返贫致贫…; 卫健, 退役军人, 残联, 教育).
 *
 * A list is the department's complete current list for the groups it contains. Imported again
 * (the monthly update, DOMAIN.md §2.3), it is compared with what the department sent before:
 * people added open a row from the effective date, people no longer listed have their row closed
 * the day before, a changed certification date closes the old row and opens a new one. Rows are
 * never deleted or overwritten, so the history of who was certified when is kept.
 */
import { DEPARTMENTS, type GroupCode, groupFromLabel, groupLabel } from '@canbao/core';
import { FieldError, type PersonDocument, parseDateCell } from '../fields.ts';
import type { ImportContext, ImportKind, ParsedRow } from '../kind.ts';
import { type BulkTable, chunks, dayBefore, insertRows, personKey, rowsWithPeople } from '../people.ts';
import { docTypeColumn, field, idColumn, nameColumn, readPerson } from './population.ts';

export interface GroupRow {
  readonly doc: PersonDocument;
  readonly name: string;
  readonly group: GroupCode;
  readonly certifiedOn: string | null;
}

export interface GroupChange {
  readonly change: 'added' | 'removed' | 'changed';
  readonly name: string;
  readonly docNumber: string;
  readonly group: GroupCode;
  readonly certifiedOn: string | null;
}

interface Listed {
  personId: number;
  name: string;
  docNumber: string;
  group: GroupCode;
  certifiedOn: string | null;
}

const PERSON_GROUPS_TABLE: BulkTable = {
  name: 'person_groups',
  columns: [
    ['county_code', 'text'],
    ['person_id', 'bigint'],
    ['group_code', 'text'],
    ['department', 'text'],
    ['certified_on', 'date'],
    ['valid_from', 'date'],
    ['valid_to', 'date'],
    ['source_import_id', 'bigint'],
    ['source_line', 'integer'],
  ],
};

export const groups: ImportKind<GroupRow> = {
  kind: 'groups',
  tables: ['person_groups'],
  label: '部门认定名单',
  description:
    '民政、乡村振兴、卫健、退役军人、残联、教育等部门认定的资助人群名单；每月更新时与上次名单比对。',
  needsDepartment: true,
  columns: [
    nameColumn,
    docTypeColumn,
    idColumn,
    {
      key: 'group',
      header: '人员类别',
      aliases: ['类别', '身份类别', '救助类别', '人员身份', '对象类别'],
      required: true,
      note: '特困人员、低保对象、返贫致贫人口、监测对象……（见 docs/IMPORTS.md 的类别对照）',
      example: '低保对象',
    },
    {
      key: 'certifiedOn',
      header: '认定日期',
      aliases: ['认定时间', '纳入日期'],
      required: false,
      note: '部门认定（纳入）该类别的日期',
      example: '2023-03-01',
    },
    {
      key: 'village',
      header: '村（社区）',
      aliases: ['村', '社区', '所属村'],
      required: false,
      note: '仅供核对，不改变花名册',
      example: '',
    },
  ],
  parseRow(values, report, ctx) {
    const person = readPerson(values, report);
    let group: GroupCode | null = null;
    const label = values.group?.trim() ?? '';
    if (!label) report('group', '人员类别为空');
    else {
      group = groupFromLabel(label);
      if (!group) report('group', `无法识别的人员类别“${label}”`);
      else if (ctx.department && !(DEPARTMENTS[ctx.department].groups as readonly string[]).includes(group)) {
        report('group', `“${groupLabel(group)}”不由${DEPARTMENTS[ctx.department].label}部门认定`);
        group = null;
      }
    }
    const certifiedOn = values.certifiedOn
      ? field(report, 'certifiedOn', () => {
          const d = parseDateCell(values.certifiedOn as string);
          if (d > ctx.today) throw new FieldError(`认定日期晚于今天：${d}`);
          return d;
        })
      : null;
    if (!person || !group) return null;
    return { doc: person.doc, name: person.name, group, certifiedOn };
  },
  uniqueKey: (row) => `${personKey(row.doc)}:${row.group}`,
  async writeBatch(rows: readonly ParsedRow<GroupRow>[], ctx: ImportContext) {
    const listed = listedOf(ctx);
    for (const { row, person } of await rowsWithPeople(ctx, rows)) {
      listed.set(`${person.id}:${row.group}`, {
        personId: person.id,
        name: row.name,
        docNumber: row.doc.number,
        group: row.group,
        certifiedOn: row.certifiedOn,
      });
    }
  },
  async finish(ctx: ImportContext) {
    const department = ctx.department as string;
    const listed = listedOf(ctx);
    const covered = [...new Set([...listed.values()].map((l) => l.group))];
    const changes: GroupChange[] = [];
    ctx.state.set('changes', changes);
    if (covered.length === 0) return;
    const open = await ctx.db
      .selectFrom('person_groups')
      .innerJoin('people', 'people.id', 'person_groups.person_id')
      .select([
        'person_groups.id',
        'person_groups.person_id',
        'person_groups.group_code',
        'person_groups.certified_on',
        'people.name',
        'people.doc_number',
      ])
      .where('person_groups.county_code', '=', ctx.countyCode)
      .where('person_groups.department', '=', department)
      .where('person_groups.group_code', 'in', covered)
      .where('person_groups.valid_to', 'is', null)
      .execute();
    const closeIds: number[] = [];
    const openRows: Listed[] = [];
    const stillOpen = new Set<string>();
    for (const row of open) {
      const key = `${row.person_id}:${row.group_code}`;
      const now = listed.get(key);
      if (!now) {
        closeIds.push(row.id);
        changes.push({
          change: 'removed',
          name: row.name,
          docNumber: row.doc_number,
          group: row.group_code as GroupCode,
          certifiedOn: row.certified_on,
        });
        continue;
      }
      stillOpen.add(key);
      if (now.certifiedOn !== null && now.certifiedOn !== row.certified_on) {
        closeIds.push(row.id);
        openRows.push(now);
        changes.push({
          change: 'changed',
          name: now.name,
          docNumber: now.docNumber,
          group: now.group,
          certifiedOn: now.certifiedOn,
        });
      }
    }
    let added = 0;
    for (const [key, l] of listed) {
      if (stillOpen.has(key)) continue;
      openRows.push(l);
      added++;
      changes.push({
        change: 'added',
        name: l.name,
        docNumber: l.docNumber,
        group: l.group,
        certifiedOn: l.certifiedOn,
      });
    }
    for (const part of chunks(closeIds)) {
      await ctx.db
        .updateTable('person_groups')
        .set({ valid_to: dayBefore(ctx.effectiveDate) })
        .where('id', 'in', part)
        .execute();
    }
    await insertRows(
      ctx.db,
      ctx.dialect,
      PERSON_GROUPS_TABLE,
      openRows.map((l) => [l.personId, l.group, l.certifiedOn]),
      {
        fixed: {
          county_code: ctx.countyCode,
          department,
          valid_from: ctx.effectiveDate,
          valid_to: null,
          source_import_id: ctx.importId,
          source_line: null,
        },
      },
    );
    const changed = changes.filter((c) => c.change === 'changed').length;
    ctx.counts.added = added;
    ctx.counts.removed = changes.filter((c) => c.change === 'removed').length;
    ctx.counts.changed = changed;
    ctx.counts.unchanged = stillOpen.size - changed;
  },
};

function listedOf(ctx: ImportContext): Map<string, Listed> {
  let listed = ctx.state.get('listed') as Map<string, Listed> | undefined;
  if (!listed) {
    listed = new Map();
    ctx.state.set('listed', listed);
  }
  return listed;
}
