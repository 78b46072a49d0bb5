/** The template a department downloads for each import kind: the headers, a notes row, an example. */
import { writeXlsx } from '../files/write-xlsx.ts';
import type { ImportKind } from './kind.ts';

export async function writeTemplate(kind: ImportKind<unknown>, target: string): Promise<void> {
  await writeXlsx(target, [
    {
      name: kind.label,
      headerLines: [
        `${kind.label}导入模板（canbao）：${kind.description} 带 * 的列必填；证件号码请以文本格式填写。删除本行和示例行后填写。`,
      ],
      columns: kind.columns.map((c) => ({ header: c.header, width: Math.max(12, c.header.length * 2 + 4) })),
      rows: [
        kind.columns.map((c) => `${c.required ? '* ' : ''}${c.note}`),
        kind.columns.map((c) => c.example),
      ],
    },
  ]);
}
