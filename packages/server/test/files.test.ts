/**
 * The spreadsheet/CSV file layer: reading .csv (UTF-8 / GBK) and .xlsx as streamed rows keyed by
 * Chinese headers with the user's line numbers, writing .xlsx / .csv, and the error report.
 * Every fixture is generated here into a temporary directory.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_HEADER, LINE_HEADER, writeErrorReport } from '../src/files/error-report.ts';
import { writeLeanXlsx } from '../src/files/lean-xlsx.ts';
import { numberText, openTable, TableFileError, type TableRow } from '../src/files/read-table.ts';
import { type CellValue, Utf8Chunks, writeCsv, writeXlsx } from '../src/files/write-xlsx.ts';

const tmp = mkdtempSync(join(tmpdir(), 'canbao-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEADERS = ['姓名', '公民身份号码', '性别', '户籍地址', '村(社区)'];
const ROWS = [
  ['张三', '34102419900101123X', '男', '安徽省黄山市祁门县祁山镇城东社区1号', '城东社区'],
  ['李四', '341024199202022345', '女', '安徽省黄山市祁门县历口镇', '历溪村'],
];
const ZHANG = {
  姓名: '张三',
  公民身份号码: '34102419900101123X',
  性别: '男',
  户籍地址: '安徽省黄山市祁门县祁山镇城东社区1号',
  '村(社区)': '城东社区',
};

function file(name: string, content: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

async function readAll(path: string, options?: Parameters<typeof openTable>[1]) {
  const table = await openTable(path, options);
  const rows: TableRow[] = [];
  for await (const row of table.rows()) rows.push(row);
  return { table, rows };
}

async function tableError(promise: Promise<unknown>): Promise<TableFileError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TableFileError);
  return error as TableFileError;
}

/** A zip of uncompressed entries, in the given order (to build .xlsx parts by hand). */
function storedZip(entries: readonly (readonly [string, string])[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const csvText = (rows: readonly (readonly string[])[], eol = '\r\n') =>
  rows.map((r) => r.join(',')).join(eol) + eol;

describe('CSV encodings', () => {
  it('reads UTF-8 with a BOM (the BOM is not part of the first header)', async () => {
    const path = file('bom.csv', `\ufeff${csvText([HEADERS, ...ROWS])}`);
    const { table, rows } = await readAll(path);
    expect(table.format).toBe('csv');
    expect(table.encoding).toBe('utf8');
    expect(table.sheet).toBeNull();
    expect(table.headers).toEqual(HEADERS);
    expect(table.headerLine).toBe(1);
    expect(rows).toEqual([
      { line: 2, values: ZHANG },
      {
        line: 3,
        values: {
          ...ZHANG,
          姓名: '李四',
          公民身份号码: ROWS[1]?.[1],
          性别: '女',
          户籍地址: ROWS[1]?.[3],
          '村(社区)': '历溪村',
        },
      },
    ]);
  });

  it('reads UTF-8 without a BOM', async () => {
    const path = file('nobom.csv', csvText([HEADERS, ...ROWS], '\n'));
    const { table, rows } = await readAll(path);
    expect(table.encoding).toBe('utf8');
    expect(rows.map((r) => r.values.姓名)).toEqual(['张三', '李四']);
    expect(rows[0]?.values).toEqual(ZHANG);
  });

  it('reads GBK (Chinese Excel’s default) and decodes the Chinese headers and values', async () => {
    const path = file('gbk.csv', iconv.encode(csvText([HEADERS, ...ROWS]), 'gbk'));
    // Sanity: the fixture really is not UTF-8.
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path))).toThrow();
    const { table, rows } = await readAll(path);
    expect(table.encoding).toBe('gbk');
    expect(table.headers).toEqual(HEADERS);
    expect(rows[0]).toEqual({ line: 2, values: ZHANG });
    expect(rows[1]?.values['村(社区)']).toBe('历溪村');
  });

  it('decodes GBK across read-chunk boundaries (a large file)', async () => {
    const many = Array.from({ length: 30_000 }, (_, i) => [
      `王${i}`,
      `3410241990${String(i).padStart(8, '0')}`,
      '女',
      `祁门县祁山镇${i}号`,
      '城西村',
    ]);
    const path = file('gbk-big.csv', iconv.encode(csvText([HEADERS, ...many]), 'gbk'));
    const { table, rows } = await readAll(path);
    expect(table.encoding).toBe('gbk');
    expect(rows).toHaveLength(30_000);
    expect(rows.every((r, i) => r.values.户籍地址 === `祁门县祁山镇${i}号` && r.line === i + 2)).toBe(true);
  });

  it('detects UTF-8 when a character straddles the 64 KiB sniffing boundary', async () => {
    const header = `${HEADERS.join(',')}\n`;
    const headerBytes = Buffer.byteLength(header);
    // Pad with ASCII so that the 3-byte 祁 starts 1 byte before 64 KiB.
    const pad = 'x'.repeat(64 * 1024 - 1 - headerBytes - 1);
    const text = `${header}${pad},祁门,男,地址,村\n`;
    expect(Buffer.from(text).indexOf(Buffer.from('祁'))).toBe(64 * 1024 - 1);
    const { table, rows } = await readAll(file('boundary.csv', text));
    expect(table.encoding).toBe('utf8');
    expect(rows[0]?.values.公民身份号码).toBe('祁门');
  });

  it('honours an explicit encoding', async () => {
    const path = file('forced.csv', iconv.encode(csvText([HEADERS, ...ROWS]), 'gbk'));
    const { table, rows } = await readAll(path, { encoding: 'gbk' });
    expect(table.encoding).toBe('gbk');
    expect(rows[0]?.values).toEqual(ZHANG);
  });
});

describe('CSV structure and line numbers', () => {
  it('finds the header row below title rows via expectedHeaders', async () => {
    const path = file(
      'title.csv',
      csvText([['祁门县2025年度城乡居民医保参保名单'], ['制表日期：2024-12-01', '', ''], HEADERS, ...ROWS]),
    );
    const { table, rows } = await readAll(path, {
      expectedHeaders: ['姓名', '公民身份号码', '性别', '村(社区)'],
    });
    expect(table.headerLine).toBe(3);
    expect(table.headers).toEqual(HEADERS);
    expect(rows.map((r) => r.line)).toEqual([4, 5]);
    expect(rows[0]?.values).toEqual(ZHANG);
    // Without expectedHeaders the first non-empty row is the header.
    const plain = await openTable(path);
    expect(plain.headerLine).toBe(1);
    expect(plain.headers).toEqual(['祁门县2025年度城乡居民医保参保名单']);
    await plain.close();
  });

  it('normalises header texts and matches full-width spellings to the expected ones', async () => {
    const path = file(
      'spaces.csv',
      csvText([[' 姓　名 ', '"公民身份\n号码"', '性 别', '户籍地址', '村（社区）'], ROWS[0] ?? []]),
    );
    const { table, rows } = await readAll(path, { expectedHeaders: HEADERS });
    expect(table.headers).toEqual(HEADERS);
    expect(rows[0]).toEqual({ line: 3, values: ZHANG });
  });

  it('accepts alternative spellings and files with only a few of many expected columns', async () => {
    const path = file(
      'aliases.csv',
      csvText([['姓名：张三的户'], ['身份证号码', '姓名', '村'], ['34102419900101123X', '张三', '城东社区']]),
    );
    const expected = [
      ['姓名', '参保人姓名'],
      ['公民身份号码', '身份证号码', '身份证号'],
      '性别',
      '出生日期',
      '户籍地址',
      ['村(社区)', '村', '社区'],
      '联系电话',
      '户号',
    ];
    // 3 of 8 expected columns are enough (half would be 4); the title row has none.
    const { table, rows } = await readAll(path, { expectedHeaders: expected });
    expect(table.headerLine).toBe(2);
    expect(table.headers).toEqual(['身份证号码', '姓名', '村']);
    expect(rows).toEqual([
      { line: 3, values: { 身份证号码: '34102419900101123X', 姓名: '张三', 村: '城东社区' } },
    ]);

    // Two spellings of the same header count once.
    const twice = file(
      'twice.csv',
      csvText([
        ['身份证号码', '身份证号'],
        ['1', '2'],
      ]),
    );
    const error = await tableError(openTable(twice, { expectedHeaders: expected }));
    expect(error.message).toContain('公民身份号码/身份证号码/身份证号');
  });

  it('reports a missing header row, listing the expected headers', async () => {
    const path = file('noheader.csv', csvText([['甲', '乙'], ...ROWS]));
    const error = await tableError(openTable(path, { expectedHeaders: ['姓名', '公民身份号码', '性别'] }));
    expect(error.message).toContain('找不到表头');
    expect(error.message).toContain('姓名、公民身份号码、性别');
    expect(error.message).toContain('noheader.csv');
  });

  it('rejects duplicate headers, naming them', async () => {
    const path = file(
      'dup.csv',
      csvText([
        ['姓名', '公民身份号码', '姓名'],
        ['a', 'b', 'c'],
      ]),
    );
    const error = await tableError(openTable(path));
    expect(error.line).toBe(1);
    expect(error.message).toContain('重复');
    expect(error.message).toContain('姓名');
  });

  it('keeps line numbers right after quoted fields with embedded newlines (LF and CRLF)', async () => {
    const text = [
      HEADERS.join(','),
      '张三,34102419900101123X,男,"安徽省黄山市\r\n祁门县\r\n祁山镇",城东社区',
      '李四,341024199202022345,女,"第一行\n第二行",历溪村',
      '王五,341024199303033456,男,"他说""你好""",城西村',
      '赵"六,341024199404044567,女,地址,村',
      '',
    ].join('\r\n');
    const { rows } = await readAll(file('multiline.csv', text));
    expect(rows.map((r) => [r.line, r.values.姓名])).toEqual([
      [2, '张三'],
      [5, '李四'],
      [7, '王五'],
      [8, '赵"六'],
    ]);
    expect(rows[0]?.values.户籍地址).toBe('安徽省黄山市\r\n祁门县\r\n祁山镇');
    expect(rows[2]?.values.户籍地址).toBe('他说"你好"');
  });

  it('skips empty rows without changing line numbers', async () => {
    const text = [
      '',
      HEADERS.join(','),
      ROWS[0]?.join(','),
      '',
      ',,,,',
      '  ,　, , ,',
      ROWS[1]?.join(','),
      '',
      '',
    ].join('\n');
    const { table, rows } = await readAll(file('empty.csv', text));
    expect(table.headerLine).toBe(2);
    expect(rows.map((r) => [r.line, r.values.姓名])).toEqual([
      [3, '张三'],
      [7, '李四'],
    ]);
  });

  it('trims values, fills missing cells with empty strings and ignores extra cells', async () => {
    const text = csvText([
      HEADERS,
      ['  张三 ', ' 34102419900101123X'],
      ['李四', '1', '女', '地址', '村', '多余'],
    ]);
    const { rows } = await readAll(file('ragged.csv', text));
    expect(rows[0]?.values).toEqual({
      姓名: '张三',
      公民身份号码: '34102419900101123X',
      性别: '',
      户籍地址: '',
      '村(社区)': '',
    });
    expect(Object.keys(rows[1]?.values ?? {})).toEqual(HEADERS);
  });

  it('reports an unclosed quote with the line it starts on', async () => {
    const text = csvText([
      HEADERS,
      ROWS[0] ?? [],
      ['李四', '"341024199202022345', '女', '地址', '村'],
      ROWS[0] ?? [],
    ]);
    // Small file: the header search reads on to the end, so openTable itself fails.
    const error = await tableError(
      (async () => {
        const table = await openTable(file('quote.csv', text));
        for await (const _ of table.rows());
      })(),
    );
    expect(error.line).toBe(3);
    expect(error.message).toContain('引号');
  });

  it('reports bytes read for progress, reaching the file size', async () => {
    const { table } = await readAll(file('progress.csv', csvText([HEADERS, ...ROWS])));
    expect(table.totalBytes).toBeGreaterThan(0);
    expect(table.bytesRead()).toBe(table.totalBytes);
  });

  it('rows() can be called once', async () => {
    const table = await openTable(file('once.csv', csvText([HEADERS, ...ROWS])));
    for await (const _ of table.rows());
    await expect(
      (async () => {
        for await (const _ of table.rows());
      })(),
    ).rejects.toThrow(/once/);
  });
});

describe('file formats and sheets', () => {
  it('rejects unsupported extensions in Chinese, naming the file', async () => {
    for (const name of ['名单.xls', 'list.txt', 'noext']) {
      const error = await tableError(openTable(file(name, 'a,b\n')));
      expect(error.message).toContain('不支持的文件格式');
      expect(error.message).toContain(name);
      expect(error.line).toBeNull();
    }
  });

  it('reports a missing file', async () => {
    const error = await tableError(openTable(join(tmp, 'missing.csv')));
    expect(error.message).toContain('missing.csv');
  });

  it('reports a damaged .xlsx', async () => {
    const error = await tableError(
      (async () => {
        const table = await openTable(file('broken.xlsx', 'this is not a zip file'));
        for await (const _ of table.rows());
      })(),
    );
    expect(error.message).toContain('broken.xlsx');
  });

  it('reads the first sheet by default, another by name, and lists the sheets for an unknown one', async () => {
    const path = join(tmp, 'sheets.xlsx');
    await writeXlsx(path, [
      { name: '说明', columns: [{ header: '说明' }], rows: [['本表为参保名单']] },
      { name: '参保名单', columns: HEADERS.map((header) => ({ header })), rows: ROWS },
    ]);
    const first = await readAll(path);
    expect(first.table.sheet).toBe('说明');
    expect(first.rows).toEqual([{ line: 2, values: { 说明: '本表为参保名单' } }]);

    const named = await readAll(path, { sheet: '参保名单' });
    expect(named.table.sheet).toBe('参保名单');
    expect(named.rows[0]).toEqual({ line: 2, values: ZHANG });

    const error = await tableError(openTable(path, { sheet: '花名册' }));
    expect(error.message).toContain('花名册');
    expect(error.message).toContain('说明、参保名单');
  });

  it('skips a hidden first sheet by default', async () => {
    const book = new ExcelJS.Workbook();
    book.addWorksheet('字典', { state: 'hidden' }).addRow(['代码', '名称']);
    const sheet = book.addWorksheet('参保名单');
    sheet.addRow(HEADERS);
    sheet.addRow(ROWS[0]);
    const path = join(tmp, 'hidden.xlsx');
    await book.xlsx.writeFile(path);
    const { table, rows } = await readAll(path);
    expect(table.sheet).toBe('参保名单');
    expect(rows).toEqual([{ line: 2, values: ZHANG }]);
    expect((await readAll(path, { sheet: '字典' })).table.headers).toEqual(['代码', '名称']);
  });
});

describe('xlsx', () => {
  it('round-trips writeXlsx → openTable: values, line numbers, 18-digit IDs as text, title lines', async () => {
    const path = join(tmp, 'roundtrip.xlsx');
    const result = await writeXlsx(path, [
      {
        name: '参保名单',
        headerLines: ['祁门县2025年度城乡居民医保参保名单', '统计日期：2024-12-01'],
        columns: [...HEADERS.map((header) => ({ header })), { header: '缴费金额', text: false }],
        rows: (async function* () {
          yield [...(ROWS[0] ?? []), 380];
          yield [null, null, null, null, null, null];
          yield [...(ROWS[1] ?? []), 0.1 + 0.2];
          yield ['王五', '341024199303033456', '男', '', null, 1e-7];
        })(),
      },
    ]);
    expect(result.rows).toBe(4);
    const { table, rows } = await readAll(path, { expectedHeaders: HEADERS });
    expect(table.format).toBe('xlsx');
    expect(table.encoding).toBeNull();
    expect(table.sheet).toBe('参保名单');
    expect(table.headerLine).toBe(3);
    expect(table.headers).toEqual([...HEADERS, '缴费金额']);
    expect(rows).toEqual([
      { line: 4, values: { ...ZHANG, 缴费金额: '380' } },
      {
        line: 6,
        values: {
          姓名: '李四',
          公民身份号码: '341024199202022345',
          性别: '女',
          户籍地址: '安徽省黄山市祁门县历口镇',
          '村(社区)': '历溪村',
          缴费金额: '0.3',
        },
      },
      {
        line: 7,
        values: {
          姓名: '王五',
          公民身份号码: '341024199303033456',
          性别: '男',
          户籍地址: '',
          '村(社区)': '',
          缴费金额: '0.0000001',
        },
      },
    ]);
    expect(table.bytesRead()).toBe(table.totalBytes);

    // The header row is frozen and bold, and ID cells are stored as text (checked with the
    // non-streaming reader, as Excel would see them).
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(path);
    const sheet = book.getWorksheet('参保名单');
    expect(sheet?.getCell('B4').value).toBe('34102419900101123X');
    expect(sheet?.getCell('B6').value).toBe('341024199202022345');
    expect(sheet?.getCell('B6').numFmt).toBe('@');
    expect(sheet?.getCell('A3').font?.bold).toBe(true);
    expect(sheet?.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
  });

  it('reads Chinese text intact across the XML chunk boundaries (exceljs streaming bug)', async () => {
    const path = join(tmp, 'chinese.xlsx');
    const n = 6000;
    const address = (i: number) => `安徽省黄山市祁门县祁山镇城东社区居民委员会第${i}号`.repeat(1 + (i % 3));
    await writeXlsx(path, [
      {
        name: '名单',
        columns: HEADERS.map((header) => ({ header })),
        rows: (function* () {
          for (let i = 0; i < n; i++)
            yield [`张${i}`, `3410241990${String(i).padStart(8, '0')}`, '男', address(i), '城东社区'];
        })(),
      },
    ]);
    const { rows } = await readAll(path);
    expect(rows).toHaveLength(n);
    const broken = rows.filter((r, i) => r.values.户籍地址 !== address(i) || r.values.姓名 !== `张${i}`);
    expect(broken.map((r) => r.line)).toEqual([]);
  });

  it('reads cells written by Excel-style workbooks: shared strings, dates, formulas, rich text, booleans', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('户籍');
    sheet.addRow(['祁门县户籍人员名单']);
    sheet.addRow(['姓名', '公民身份号码', '出生日期', '人数', '备注', '是否低保']);
    sheet.addRow([
      '张三',
      '34102419900101123X',
      new Date(Date.UTC(1990, 0, 1)),
      { formula: '1+2', result: 3 },
      { richText: [{ text: '祁门' }, { font: { bold: true }, text: '县' }] },
      true,
    ]);
    sheet.getCell('C3').numFmt = 'yyyy-mm-dd';
    sheet.addRow(['李四', '341024199202022345', new Date(Date.UTC(1992, 1, 2)), 1234567, '城西村', false]);
    sheet.getCell('C4').numFmt = 'yyyy"年"m"月"d"日"';
    const path = join(tmp, 'excel.xlsx');
    await book.xlsx.writeFile(path);
    expect(readFileSync(path).includes('xl/sharedStrings.xml')).toBe(true);

    const { table, rows } = await readAll(path, { expectedHeaders: ['姓名', '公民身份号码', '出生日期'] });
    expect(table.sheet).toBe('户籍');
    expect(table.headerLine).toBe(2);
    expect(rows).toEqual([
      {
        line: 3,
        values: {
          姓名: '张三',
          公民身份号码: '34102419900101123X',
          出生日期: '1990-01-01',
          人数: '3',
          备注: '祁门县',
          是否低保: 'TRUE',
        },
      },
      {
        line: 4,
        values: {
          姓名: '李四',
          公民身份号码: '341024199202022345',
          出生日期: '1992-02-02',
          人数: '1234567',
          备注: '城西村',
          是否低保: 'FALSE',
        },
      },
    ]);
  });

  it('reads a hand-made Excel-style file: shared strings after the sheet, Chinese built-in date format', async () => {
    const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
    const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
    const strings = ['姓名', '公民身份号码', '出生日期', '张三'];
    const path = join(tmp, 'handmade.xlsx');
    writeFileSync(
      path,
      storedZip([
        [
          'xl/workbook.xml',
          `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${NS}" xmlns:r="${REL}"><sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>`,
        ],
        [
          'xl/_rels/workbook.xml.rels',
          `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="/xl/worksheets/sheet1.xml"/></Relationships>`,
        ],
        [
          'xl/worksheets/sheet1.xml',
          `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${NS}"><sheetData>` +
            '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v>2</v></c></row>' +
            '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3" t="inlineStr"><is><t>34102419900101123X</t></is></c><c r="C3" s="1"><v>32874</v></c></row>' +
            '</sheetData></worksheet>',
        ],
        [
          'xl/styles.xml',
          `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="${NS}"><fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="31" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`,
        ],
        [
          'xl/sharedStrings.xml',
          `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${NS}" count="4" uniqueCount="4">${strings.map((s) => `<si><t>${s}</t></si>`).join('')}</sst>`,
        ],
      ]),
    );
    const { table, rows } = await readAll(path);
    expect(table.sheet).toBe('花名册');
    expect(table.headerLine).toBe(2);
    expect(rows).toEqual([
      { line: 3, values: { 姓名: '张三', 公民身份号码: '34102419900101123X', 出生日期: '1990-01-01' } },
    ]);
  });

  it('rejects an ID number stored as a number (digits already lost), naming the line and header', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Sheet1');
    sheet.addRow(HEADERS);
    sheet.addRow(ROWS[0]);
    // What Excel holds after 341024199202022345 was typed into a General cell.
    sheet.addRow(['李四', Number('341024199202022345'), '女', '地址', '村']);
    const path = join(tmp, 'numeric-id.xlsx');
    await book.xlsx.writeFile(path);

    const table = await openTable(path);
    const seen: number[] = [];
    const error = await tableError(
      (async () => {
        for await (const row of table.rows()) seen.push(row.line);
      })(),
    );
    expect(seen).toEqual([2]);
    expect(error.line).toBe(3);
    expect(error.message).toContain('第 3 行');
    expect(error.message).toContain('公民身份号码');
    expect(error.message).toContain('身份证号码等长数字必须以文本格式保存');
  });

  it('writes to a stream target and rejects (does not hang) when the target cannot be written', async () => {
    const path = join(tmp, 'stream.xlsx');
    const out = createWriteStream(path);
    const closed = once(out, 'close');
    await writeXlsx(out, [{ name: 'a', columns: [{ header: '姓名' }], rows: [['张三']] }]);
    await closed;
    const { rows } = await readAll(path);
    expect(rows).toEqual([{ line: 2, values: { 姓名: '张三' } }]);

    await expect(
      writeXlsx(join(tmp, 'no-such-dir', 'x.xlsx'), [{ name: 'a', columns: [{ header: 'a' }], rows: [] }]),
    ).rejects.toThrow(/ENOENT/);

    // A failing row source: the error comes through and no half-written file is left behind.
    const partial = join(tmp, 'partial.xlsx');
    await expect(
      writeXlsx(partial, [
        {
          name: 'a',
          columns: [{ header: '姓名' }],
          rows: (function* () {
            for (let i = 0; i < 2000; i++) yield [`张${i}`];
            throw new Error('数据库连接中断');
          })(),
        },
      ]),
    ).rejects.toThrow('数据库连接中断');
    expect(existsSync(partial)).toBe(false);
  });
});

describe('writeCsv', () => {
  it('writes UTF-8 with a BOM that reads back, numbers without exponent', async () => {
    const path = join(tmp, 'out.csv');
    const result = await writeCsv(
      path,
      [...HEADERS, '金额'],
      [
        [...(ROWS[0] ?? []), 380.5],
        ['李四', '341024199202022345', '女', '地址,含逗号', '"村"', null],
        ['王五', '1', '男', '第一行\n第二行', '', 1e-7],
      ],
    );
    expect(result.rows).toBe(3);
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const { table, rows } = await readAll(path);
    expect(table.encoding).toBe('utf8');
    expect(table.headers).toEqual([...HEADERS, '金额']);
    expect(rows.map((r) => [r.line, r.values.户籍地址, r.values['村(社区)'], r.values.金额])).toEqual([
      [2, ZHANG.户籍地址, '城东社区', '380.5'],
      [3, '地址,含逗号', '"村"', ''],
      [4, '第一行\n第二行', '', '0.0000001'],
    ]);
  });
  it('writes every field as csv-stringify does: quotes, commas, line breaks, empty and odd texts', async () => {
    // Texts that need quoting and texts that must not be quoted, in every position of a row.
    const texts = [
      '',
      'a',
      '张三',
      'a,b',
      '"',
      'say "hi"',
      'x\ny',
      'x\r\ny',
      '\r',
      ' lead',
      'trail ',
      "'",
      '=1+2',
    ];
    const rows: CellValue[][] = [];
    for (let i = 0; i < texts.length; i++) {
      rows.push([texts[i] as string, texts[(i + 5) % texts.length] as string, i, null, 12.5]);
    }
    // Pseudo-random strings drawn from the special characters, stable between runs.
    const alphabet = ['a', '中', ',', '"', '\n', '\r', ' ', '\t', ';'];
    let seed = 7;
    for (let i = 0; i < 300; i++) {
      const row: string[] = [];
      for (let c = 0; c < 5; c++) {
        let text = '';
        for (let n = (i + c) % 7; n > 0; n--) {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          text += alphabet[seed % alphabet.length];
        }
        row.push(text);
      }
      rows.push(row);
    }
    const path = join(tmp, 'fields.csv');
    const headers = ['名,称', '"引号"', '序号', '空', '金额'];
    expect((await writeCsv(path, headers, rows)).rows).toBe(rows.length);
    // csv-stringify with CRLF records quotes a field with a bare LF or CR only when asked
    // (quote_record_delimiter); unquoted, Excel breaks the row there, so such fields are quoted.
    const cells = rows.map((r) =>
      r.map((v) => (v === null ? '' : typeof v === 'number' ? numberText(v) : v)),
    );
    const expected = stringifyCsv([headers, ...cells], {
      bom: true,
      record_delimiter: 'windows',
      quote_record_delimiter: true,
    });
    expect(readFileSync(path, 'utf8')).toBe(expected);
    const { table, rows: read } = await readAll(path);
    expect(table.headers).toEqual(headers);
    // Read back (values come trimmed, blank rows skipped): every field as written.
    expect(read.map((r) => headers.map((h) => r.values[h]))).toEqual(
      cells.map((r) => r.map((v) => v.trim())).filter((r) => r.some((v) => v !== '')),
    );
  });

  it('writes to a stream target, ending it, and rejects when the target cannot be written', async () => {
    const path = join(tmp, 'stream.csv');
    const out = createWriteStream(path);
    const closed = once(out, 'close');
    expect((await writeCsv(out, ['姓名'], [['张三'], ['李,四']])).rows).toBe(2);
    await closed;
    expect(readFileSync(path, 'utf8')).toBe('\uFEFF姓名\r\n张三\r\n"李,四"\r\n');
    await expect(writeCsv(join(tmp, 'no-such-dir', 'x.csv'), ['a'], [])).rejects.toThrow(/ENOENT/);
  });

  it('writes rows given a page at a time, across many output chunks, and removes the file on failure', async () => {
    const path = join(tmp, 'pages.csv');
    const name = '欧阳'.repeat(40);
    async function* pages() {
      for (let p = 0; p < 30; p++) {
        yield Array.from({ length: 1000 }, (_, i) => [`${name}${p * 1000 + i}`, p * 1000 + i] as CellValue[]);
      }
    }
    expect((await writeCsv(path, ['姓名', '序号'], { pages: pages() })).rows).toBe(30_000);
    // 30,000 rows of ~250 bytes: several 1 MiB chunks, each cut between rows.
    const { rows } = await readAll(path);
    expect(rows).toHaveLength(30_000);
    expect(rows[29_999]?.values).toEqual({ 姓名: `${name}29999`, 序号: '29999' });
    expect(rows.every((r, i) => r.values.姓名 === `${name}${i}`)).toBe(true);

    const broken = join(tmp, 'broken.csv');
    async function* failing() {
      yield* pages();
      throw new Error('数据库连接中断');
    }
    await expect(writeCsv(broken, ['姓名'], { pages: failing() })).rejects.toThrow('数据库连接中断');
    expect(existsSync(broken)).toBe(false);
  });
});

describe('Utf8Chunks', () => {
  it('hands on whole texts in chunks, and a text larger than a chunk in one of its own', () => {
    const chunks = new Utf8Chunks();
    const parts: Buffer[] = [];
    const texts: string[] = [];
    for (let i = 0; i < 40_000; i++) texts.push(`第${i}行，张三𠀋,${'x'.repeat(i % 50)}\n`);
    texts.push('大'.repeat(600_000));
    texts.push('尾');
    for (const text of texts) {
      const full = chunks.add(text);
      if (full) parts.push(full);
    }
    parts.push(chunks.take());
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.every((part) => part.length > 0)).toBe(true);
    // Each chunk ends at the end of a text: no character is cut.
    for (const part of parts) expect(Buffer.from(part.toString('utf8'), 'utf8').equals(part)).toBe(true);
    expect(Buffer.concat(parts).toString('utf8')).toBe(texts.join(''));
  });
});

describe('writeLeanXlsx', () => {
  it('writes a sheet of many chunks that reads back through openTable and exceljs, text intact', async () => {
    const path = join(tmp, 'lean.xlsx');
    const odd = ['a<b & c>d', '"引号" \'单引号\'', '第一行\n第二行', '\u0001控制字符'];
    const rows = (function* () {
      for (let i = 0; i < 12_000; i++) {
        yield [
          String(i + 1),
          `${'欧阳'.repeat(20)}${i}`,
          '341024199001011234',
          odd[i % odd.length] as string,
          '',
        ];
      }
    })();
    const result = await writeLeanXlsx(
      path,
      {
        name: '清单',
        headerLines: ['标题：某县代扣清单', '共 12000 笔'],
        columns: ['序号', '姓名', '证件号码', '备注', '结果'].map((header) => ({ header })),
        rows,
      },
      new Date('2022-10-12T00:00:00Z'),
    );
    expect(result.rows).toBe(12_000);
    const { table, rows: read } = await readAll(path, { expectedHeaders: ['序号', '姓名', '证件号码'] });
    expect(table.headerLine).toBe(3);
    expect(read).toHaveLength(12_000);
    expect(read[11_999]).toEqual({
      line: 12_003,
      values: {
        序号: '12000',
        姓名: `${'欧阳'.repeat(20)}11999`,
        证件号码: '341024199001011234',
        备注: odd[3]?.slice(1),
        结果: '',
      },
    });
    expect(read.every((r, i) => r.values.姓名 === `${'欧阳'.repeat(20)}${i}`)).toBe(true);
    expect(read.slice(0, 3).map((r) => r.values.备注)).toEqual(odd.slice(0, 3));

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(path);
    const sheet = workbook.worksheets[0] as ExcelJS.Worksheet;
    expect(sheet.name).toBe('清单');
    expect(sheet.getCell('A1').value).toBe('标题：某县代扣清单');
    expect(sheet.getCell('B12003').value).toBe(`${'欧阳'.repeat(20)}11999`);
    expect(sheet.getCell('C4').value).toBe('341024199001011234');
    expect(sheet.getCell('C4').numFmt).toBe('@');
    expect(sheet.rowCount).toBe(12_003);
  });
});

describe('writeErrorReport', () => {
  const source = () =>
    file(
      'to-fix.csv',
      csvText([
        ['2025年参保名单'],
        HEADERS,
        ROWS[0] ?? [],
        ['李四', '341024199202022340', '女', '地址', '村'],
        [],
        ['王五', '34102419930303345', '男', '地址', '村'],
      ]),
    );

  it('writes every row with 行号 and 错误原因, re-readable with openTable', async () => {
    const path = source();
    const target = join(tmp, 'report.xlsx');
    const errors = new Map<number, string | readonly string[]>([
      [4, '公民身份号码校验位错误'],
      [6, ['公民身份号码应为18位', '性别与身份证号不符']],
      [99, '文件末尾有多余内容'],
    ]);
    const result = await writeErrorReport({ file: path, expectedHeaders: HEADERS }, errors, target);
    expect(result.rows).toBe(4);

    const { table, rows } = await readAll(target, { expectedHeaders: HEADERS });
    expect(table.headers).toEqual([LINE_HEADER, ...HEADERS, ERROR_HEADER]);
    expect(rows.map((r) => [r.values[LINE_HEADER], r.values.姓名, r.values[ERROR_HEADER]])).toEqual([
      ['3', '张三', ''],
      ['4', '李四', '公民身份号码校验位错误'],
      ['6', '王五', '公民身份号码应为18位；性别与身份证号不符'],
      ['99', '', '文件末尾有多余内容'],
    ]);
    expect(rows[0]?.values.公民身份号码).toBe('34102419900101123X');

    // The report, fixed in place, reads like the original: its 行号/错误原因 columns are replaced.
    const again = join(tmp, 'report-again.xlsx');
    await writeErrorReport({ file: target, expectedHeaders: HEADERS }, new Map([[3, '仍有错误']]), again);
    const second = await readAll(again);
    expect(second.table.headers).toEqual([LINE_HEADER, ...HEADERS, ERROR_HEADER]);
    // Line 3 of the first report is its second data row.
    expect(second.rows.map((r) => [r.values[LINE_HEADER], r.values.姓名, r.values[ERROR_HEADER]])).toEqual([
      ['2', '张三', ''],
      ['3', '李四', '仍有错误'],
      ['4', '王五', ''],
      ['5', '', ''],
    ]);
  });

  it('with onlyErrors writes only the bad rows', async () => {
    const target = join(tmp, 'report-only.xlsx');
    const result = await writeErrorReport(
      { file: source(), expectedHeaders: HEADERS },
      new Map([[6, '公民身份号码应为18位']]),
      target,
      { onlyErrors: true },
    );
    expect(result.rows).toBe(1);
    const { rows } = await readAll(target);
    expect(rows).toEqual([
      {
        line: 2,
        values: {
          [LINE_HEADER]: '6',
          姓名: '王五',
          公民身份号码: '34102419930303345',
          性别: '男',
          户籍地址: '地址',
          '村(社区)': '村',
          [ERROR_HEADER]: '公民身份号码应为18位',
        },
      },
    ]);
  });
});

describe('numberText', () => {
  it('writes numbers as Excel shows them, without exponent', () => {
    expect(numberText(42)).toBe('42');
    expect(numberText(-3.5)).toBe('-3.5');
    expect(numberText(0.1 + 0.2)).toBe('0.3');
    expect(numberText(1.5e-7)).toBe('0.00000015');
    expect(numberText(999999999999999)).toBe('999999999999999');
    expect(numberText(1e21)).toBe('1000000000000000000000');
    expect(numberText(Number.NaN)).toBe('');
  });
});

describe('streaming', () => {
  it('reads a 200,000-row CSV with bounded memory', async () => {
    const path = join(tmp, 'big.csv');
    const n = 200_000;
    const address = '安徽省黄山市祁门县祁山镇城东社区居民委员会幸福路';
    const out = createWriteStream(path);
    out.write(`${HEADERS.join(',')},备注1,备注2,备注3\r\n`);
    for (let i = 0; i < n; i++) {
      const line = `张${i},3410241990${String(i).padStart(8, '0')},男,${address}${i}号,城东社区,${address},${address},${address}\r\n`;
      if (!out.write(line)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'close');

    // Retained heap, not garbage awaiting collection: collect before each sample (vitest runs
    // the workers with --expose-gc), so a loaded machine's lazy GC cannot fail the test.
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('run with --expose-gc (vitest.config.ts execArgv)');
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let count = 0;
    let last: TableRow | undefined;
    const table = await openTable(path, { expectedHeaders: HEADERS });
    for await (const row of table.rows()) {
      count++;
      last = row;
      if (count % 20_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    expect(count).toBe(n);
    expect(last?.line).toBe(n + 1);
    expect(last?.values.公民身份号码).toBe(`3410241990${String(n - 1).padStart(8, '0')}`);
    expect(table.bytesRead()).toBe(table.totalBytes);
    // The file is ~60 MB of UTF-8 (~120 MB as JS strings); buffering the rows would blow this.
    expect(table.totalBytes).toBeGreaterThan(50_000_000);
    // Buffering the rows would retain well over 150 MB; streaming retains a few.
    expect(peak - baseline).toBeLessThan(40 * 1024 * 1024);
  }, 60_000);
});
