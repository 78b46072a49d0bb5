/**
 * A lean .xlsx writer for one large, plain sheet (the bank's withholding file: a million rows of
 * text cells): the sheet XML is built as text and deflated straight into a zip written here, with
 * node:zlib (deflate, CRC-32) and no other library.
 *
 * exceljs builds an object per row and per cell, a style model per cell and an XML writer per row:
 * about 28 µs per row of that file, several times the cost of the text itself. This writer gives
 * the same look — title lines merged across the columns, the column header bold on grey, frozen
 * below the header, columns formatted as text ('@') so ID and card numbers stay digits — and the
 * same reading back through read-table.ts (cells as exceljs writes them: t="str" with <v>).
 * Everything else (several sheets, dates, page setup) stays with write-xlsx.ts.
 */
import { once } from 'node:events';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { constants, crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { type CellValue, pagesOf, type SheetSpec, Utf8Chunks } from './write-xlsx.ts';

/** Excel's limit on the characters in one cell. */
const CELL_LIMIT = 32_767;
/** Above this a zip needs ZIP64 records, which this writer does not write. */
const ZIP32_LIMIT = 0xffff_ffff;

/** Style indexes in STYLES' cellXfs. */
const STYLE = { plain: 0, text: 1, title: 2, header: 3 } as const;

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

const STYLES =
  `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}">` +
  '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
  '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>' +
  '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>' +
  '<fill><patternFill patternType="solid"><fgColor rgb="FFE7E6E6"/><bgColor indexed="64"/></patternFill></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>' +
  '<xf numFmtId="49" fontId="2" fillId="2" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1" applyFill="1" applyAlignment="1">' +
  '<alignment horizontal="center" vertical="center" wrapText="1"/></xf></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>';

const CONTENT_TYPES =
  `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
  '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
  '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
  '</Types>';

const ROOT_RELS =
  `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">` +
  `<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;

const WORKBOOK_RELS =
  `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">` +
  `<Relationship Id="rId1" Type="${REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>` +
  `<Relationship Id="rId2" Type="${REL_NS}/styles" Target="styles.xml"/></Relationships>`;

const workbookXml = (sheetName: string) =>
  `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><bookViews><workbookView/></bookViews>` +
  `<sheets><sheet name="${escapeXml(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`;

/** Needs escaping (& < >) or is not allowed in XML 1.0 at all (control characters, U+FFFE/F). */
function unsafe(code: number): boolean {
  if (code < 0x20) return code !== 0x09 && code !== 0x0a && code !== 0x0d;
  return code === 0x26 || code === 0x3c || code === 0x3e || code >= 0xfffe;
}

/** Text as XML character data: & < > escaped, characters XML cannot hold dropped. */
function escapeXml(text: string): string {
  let i = 0;
  while (i < text.length && !unsafe(text.charCodeAt(i))) i++;
  if (i === text.length) return text;
  let out = text.slice(0, i);
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!unsafe(code)) out += text[i];
    else if (code === 0x26) out += '&amp;';
    else if (code === 0x3c) out += '&lt;';
    else if (code === 0x3e) out += '&gt;';
  }
  return out;
}

/** Column letters: A … Z, AA … */
function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}

/** A width in characters, counting CJK characters double (as Excel shows them). */
function widthOf(header: string): number {
  const wide = header.match(/[\u2e80-\uffff]/gu)?.length ?? 0;
  return Math.max(10, header.length + wide + 2);
}

function cellXml(ref: string, style: number, value: CellValue): string {
  if (value === null || value === undefined || value === '') return '';
  if (typeof value === 'number') {
    return Number.isFinite(value) ? `<c r="${ref}" s="${style}"><v>${value}</v></c>` : '';
  }
  const text = value.length > CELL_LIMIT ? value.slice(0, CELL_LIMIT) : value;
  return `<c r="${ref}" s="${style}" t="str"><v>${escapeXml(text)}</v></c>`;
}

// ---------------------------------------------------------------------------------------------
// The zip container (PKWARE APPNOTE: local headers, data descriptors, central directory)

interface Entry {
  readonly name: Buffer;
  readonly offset: number;
  readonly flags: number;
  readonly crc: number;
  readonly compressed: number;
  readonly size: number;
}

class ZipWriter {
  private offset = 0;
  private readonly entries: Entry[] = [];
  private readonly time: number;
  private readonly date: number;

  private readonly file: FileHandle;

  constructor(file: FileHandle, now: Date) {
    this.file = file;
    // DOS date and time; UTC, so the same input gives the same bytes wherever it runs.
    this.time = (now.getUTCHours() << 11) | (now.getUTCMinutes() << 5) | (now.getUTCSeconds() >> 1);
    this.date = ((now.getUTCFullYear() - 1980) << 9) | ((now.getUTCMonth() + 1) << 5) | now.getUTCDate();
  }

  private async write(data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.file.write(data, done, data.length - done);
      done += bytesWritten;
    }
    this.offset += data.length;
  }

  private localHeader(name: Buffer, flags: number, crc: number, compressed: number, size: number): Buffer {
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(flags, 6);
    h.writeUInt16LE(8, 8); // deflate
    h.writeUInt16LE(this.time, 10);
    h.writeUInt16LE(this.date, 12);
    h.writeUInt32LE(crc, 14);
    h.writeUInt32LE(compressed, 18);
    h.writeUInt32LE(size, 22);
    h.writeUInt16LE(name.length, 26);
    h.writeUInt16LE(0, 28);
    return Buffer.concat([h, name]);
  }

  /** A small part, deflated in memory. */
  async add(path: string, text: string): Promise<void> {
    const name = Buffer.from(path, 'utf8');
    const data = Buffer.from(text, 'utf8');
    const deflated = deflateRawSync(data);
    const crc = crc32(data);
    const offset = this.offset;
    await this.write(this.localHeader(name, 0, crc, deflated.length, data.length));
    await this.write(deflated);
    this.entries.push({ name, offset, flags: 0, crc, compressed: deflated.length, size: data.length });
  }

  /**
   * A large part, deflated as its pieces come (sizes and CRC follow in a data descriptor). Fast
   * compression: the sheet is hundreds of MB of repetitive XML, and the default level would cost
   * several seconds more for a file a few percent smaller.
   */
  async addStream(path: string, pieces: AsyncIterable<Uint8Array>): Promise<void> {
    const name = Buffer.from(path, 'utf8');
    const offset = this.offset;
    const flags = 0x0008;
    await this.write(this.localHeader(name, flags, 0, 0, 0));
    const deflate = createDeflateRaw({ level: constants.Z_BEST_SPEED });
    let crc = 0;
    let size = 0;
    let compressed = 0;
    const consumed = (async () => {
      for await (const chunk of deflate) {
        compressed += (chunk as Buffer).length;
        await this.write(chunk as Buffer);
      }
    })();
    // The producer waits on 'drain'; if the consumer fails first, that wait must end too.
    const failed = consumed.then(
      () => new Promise<never>(() => {}),
      (error: unknown) => Promise.reject(error),
    );
    failed.catch(() => {});
    try {
      for await (const data of pieces) {
        crc = crc32(data, crc);
        size += data.length;
        if (size > ZIP32_LIMIT) throw new Error(`工作表超过 4 GB，无法写为 .xlsx：${path}`);
        if (!deflate.write(data)) await Promise.race([once(deflate, 'drain'), failed]);
      }
      deflate.end();
      await consumed;
    } catch (error) {
      deflate.destroy();
      await consumed.catch(() => {});
      throw error;
    }
    if (compressed > ZIP32_LIMIT || this.offset > ZIP32_LIMIT) {
      throw new Error(`文件超过 4 GB，无法写为 .xlsx：${path}`);
    }
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc >>> 0, 4);
    descriptor.writeUInt32LE(compressed, 8);
    descriptor.writeUInt32LE(size, 12);
    await this.write(descriptor);
    this.entries.push({ name, offset, flags, crc: crc >>> 0, compressed, size });
  }

  async finish(): Promise<void> {
    const start = this.offset;
    for (const e of this.entries) {
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(20, 4);
      h.writeUInt16LE(20, 6);
      h.writeUInt16LE(e.flags, 8);
      h.writeUInt16LE(8, 10);
      h.writeUInt16LE(this.time, 12);
      h.writeUInt16LE(this.date, 14);
      h.writeUInt32LE(e.crc, 16);
      h.writeUInt32LE(e.compressed, 20);
      h.writeUInt32LE(e.size, 24);
      h.writeUInt16LE(e.name.length, 28);
      h.writeUInt32LE(e.offset, 42);
      await this.write(Buffer.concat([h, e.name]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    await this.write(end);
  }
}

// ---------------------------------------------------------------------------------------------

/** The sheet's XML, UTF-8 encoded in chunks: head, title lines, column header, the rows, tail. */
async function* sheetXml(sheet: SheetSpec, counted: { rows: number }): AsyncGenerator<Buffer> {
  const titles = sheet.headerLines ?? [];
  const headerRow = titles.length + 1;
  const columns = sheet.columns;
  const last = columnName(Math.max(columns.length, 1) - 1);
  const names = columns.map((_, i) => columnName(i));
  const styles = columns.map((c) => (c.text === false ? STYLE.plain : STYLE.text));
  const cols = columns
    .map(
      (c, i) =>
        `<col min="${i + 1}" max="${i + 1}" width="${c.width ?? widthOf(c.header)}" customWidth="1"${c.text === false ? '' : ` style="${STYLE.text}"`}/>`,
    )
    .join('');
  let head =
    `${XML_HEAD}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheetViews><sheetView workbookViewId="0">` +
    `<pane ySplit="${headerRow}" topLeftCell="A${headerRow + 1}" activePane="bottomLeft" state="frozen"/>` +
    `<selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>` +
    `${cols ? `<cols>${cols}</cols>` : ''}<sheetData>`;
  titles.forEach((text, i) => {
    head += `<row r="${i + 1}">${cellXml(`A${i + 1}`, i === 0 ? STYLE.title : STYLE.text, text)}</row>`;
  });
  head += `<row r="${headerRow}">${columns.map((c, i) => cellXml(`${names[i]}${headerRow}`, STYLE.header, c.header)).join('')}</row>`;
  const xml = new Utf8Chunks();
  xml.add(head);

  let r = headerRow;
  for await (const page of pagesOf(sheet.rows)) {
    for (const values of page) {
      r++;
      let row = `<row r="${r}">`;
      for (let i = 0; i < values.length && i < names.length; i++) {
        row += cellXml(`${names[i]}${r}`, styles[i] as number, values[i] as CellValue);
      }
      const full = xml.add(`${row}</row>`);
      if (full) yield full;
    }
  }
  counted.rows = r - headerRow;
  const merges =
    columns.length > 1 && titles.length > 0
      ? `<mergeCells count="${titles.length}">${titles.map((_, i) => `<mergeCell ref="A${i + 1}:${last}${i + 1}"/>`).join('')}</mergeCells>`
      : '';
  const full = xml.add(
    `</sheetData>${merges}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`,
  );
  if (full) yield full;
  yield xml.take();
}

/** Excel's rules for a sheet name: at most 31 characters, none of : \ / ? * [ ]. */
function cleanSheetName(name: string): string {
  return (
    name
      .replace(/[:\\/?*[\]]/g, '_')
      .trim()
      .slice(0, 31) || 'Sheet1'
  );
}

/**
 * Writes one sheet as an .xlsx file, streamed row by row; `now` is the parts' time stamp (the
 * caller's clock). Returns the number of data rows. On any failure the partly written file is removed.
 */
export async function writeLeanXlsx(path: string, sheet: SheetSpec, now: Date): Promise<{ rows: number }> {
  const file = await open(path, 'w');
  const counted = { rows: 0 };
  try {
    const zip = new ZipWriter(file, now);
    await zip.add('[Content_Types].xml', CONTENT_TYPES);
    await zip.add('_rels/.rels', ROOT_RELS);
    await zip.add('xl/workbook.xml', workbookXml(cleanSheetName(sheet.name)));
    await zip.add('xl/_rels/workbook.xml.rels', WORKBOOK_RELS);
    await zip.add('xl/styles.xml', STYLES);
    await zip.addStream('xl/worksheets/sheet1.xml', sheetXml(sheet, counted));
    await zip.finish();
    await file.close();
  } catch (error) {
    await file.close().catch(() => {});
    await rm(path, { force: true });
    throw error;
  }
  return counted;
}
