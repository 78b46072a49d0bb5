/**
 * docs/IMPORTS.md is generated from the import kinds, so the documented headers are the ones the
 * code accepts. `npm run docs:imports` rewrites it; a test fails when it is out of date.
 */
import { DEPARTMENTS, GROUPS, groupLabel } from '@canbao/core';
import { IMPORT_KINDS } from './kinds/index.ts';

export function importsMarkdown(): string {
  const out: string[] = [
    '# Imports (导入)',
    '',
    '<!-- Generated from packages/server/src/registry/kinds by `npm run docs:imports`: do not edit by hand. -->',
    '',
    'Departments, villages and the bureau hand canbao their lists as .xlsx or .csv (UTF-8 or GBK, as',
    'Chinese Excel saves them). A title row above the header row is fine: the header row is found among',
    'the first rows by its column names. Columns are matched by header, in any order; extra columns',
    '(序号, 备注 …) are ignored. Dates may be written 2023-01-31, 2023/1/31, 2023.1.31, 20230131 or',
    '2023年1月31日; amounts in yuan with at most two decimals. ID numbers must be stored as text in Excel',
    '(a number cell loses the last digits; such a file is refused with the line named).',
    '',
    '```sh',
    'npx canbao template population --out 人口花名册模板.xlsx',
    'npx canbao import population 花名册.xlsx --region 341024',
    'npx canbao import groups 低保名单.xlsx --region 341024 --department 民政 --effective 2023-04-01',
    '```',
    '',
    'Every row is checked. By default one bad row means nothing is written; the report lists each bad',
    'row with its line, column and reason, and an .xlsx copy of the file with a “错误原因” column is saved',
    'beside it. `--accept-valid` writes the good rows and reports the rest. Importing the same file',
    'again changes nothing. People are matched by document number: importing a person again updates',
    'them (an empty cell leaves what the registry has), never duplicates them.',
    '',
  ];
  for (const kind of Object.values(IMPORT_KINDS)) {
    out.push(`## \`${kind.kind}\` — ${kind.label}`, '', kind.description, '');
    if (kind.needsDepartment) out.push('Needs `--department` (the certifying department).', '');
    out.push('| column (表头) | also accepted | required | content | example |', '|---|---|---|---|---|');
    for (const c of kind.columns) {
      out.push(
        `| ${c.header} | ${(c.aliases ?? []).join('、') || '—'} | ${c.required ? 'yes' : ''} | ${c.note || '—'} | ${c.example || '—'} |`,
      );
    }
    out.push('');
  }
  out.push(
    '## Monthly department updates',
    '',
    'A department list (`groups`) is the department’s complete current list for the groups it',
    'contains. Imported again with `--effective <date>`, it is compared with the department’s rows now',
    'open for those groups: a person newly listed gets a row from the effective date; a person no longer',
    'listed has their row closed the day before; a changed 认定日期 closes the old row and opens a new',
    'one. Rows are never deleted, so the registry keeps who was certified when. Groups the list does',
    'not contain are left as they are.',
    '',
    '## Departments and the groups they certify',
    '',
    '| `--department` | groups (canonical codes, DOMAIN.md §4) |',
    '|---|---|',
    ...Object.entries(DEPARTMENTS).map(
      ([code, d]) =>
        `| ${d.label} (\`${code}\`) | ${d.groups.map((g) => `${groupLabel(g)} \`${g}\``).join('；')} |`,
    ),
    '',
    '## 人员类别',
    '',
    'The 人员类别 column takes the canonical label, the code, or the names lists commonly use (低保,',
    '低保对象, 城乡低保对象; 五保户; 监测人口; 计生特扶; 一级残疾人 …). Canonical labels:',
    '',
    ...Object.entries(GROUPS).map(([code, label]) => `- \`${code}\`: ${label}`),
    '',
  );
  return out.join('\n');
}
