/**
 * Reading the parts of an .xlsx (a zip archive) one at a time, as streams, with yauzl.
 *
 * exceljs's own streaming reader is not used for this: it decodes each inflated chunk on its own,
 * so a Chinese character cut at a chunk boundary becomes U+FFFD (exceljs #2063, #2084, #2316), and
 * it inflates whole sheets to temporary files when the sheet comes before the shared strings in
 * the archive (as in files Excel and exceljs write). Here each part is inflated straight into a
 * UTF-8 decoder that keeps split characters whole, and exceljs only parses the XML.
 */
import { PassThrough, type Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipArchive {
  has(name: string): boolean;
  /** The part's content as UTF-8 text chunks; `onBytes` counts the compressed bytes consumed. */
  open(name: string, onBytes?: (bytes: number) => void): Readable;
  close(): void;
}

export async function openZip(path: string): Promise<ZipArchive> {
  const zipfile = await new Promise<ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, file) =>
      error ? reject(new ZipError(error.message)) : resolve(file),
    ),
  );
  const entries = new Map<string, Entry>();
  await new Promise<void>((resolve, reject) => {
    zipfile.on('entry', (entry: Entry) => {
      entries.set(entry.fileName.replace(/^\//, ''), entry);
      zipfile.readEntry();
    });
    zipfile.on('end', resolve);
    zipfile.on('error', (error: Error) => reject(new ZipError(error.message)));
    zipfile.readEntry();
  }).catch((error: unknown) => {
    zipfile.close();
    throw error;
  });
  return {
    has: (name) => entries.has(name),
    open(name, onBytes) {
      const entry = entries.get(name);
      const output = new PassThrough();
      output.setEncoding('utf8');
      if (!entry) {
        queueMicrotask(() => output.destroy(new ZipError(`missing part ${name}`)));
        return output;
      }
      // Progress in compressed bytes, estimated from the inflated bytes passing through.
      const ratio = entry.uncompressedSize > 0 ? entry.compressedSize / entry.uncompressedSize : 1;
      zipfile.openReadStream(entry, (error, stream) => {
        if (error) {
          output.destroy(new ZipError(error.message));
          return;
        }
        stream.on('data', (chunk: Buffer) => onBytes?.(chunk.length * ratio));
        stream.on('error', (e: Error) => output.destroy(new ZipError(e.message)));
        output.on('close', () => stream.destroy());
        stream.pipe(output);
      });
      return output;
    },
    close: () => zipfile.close(),
  };
}
