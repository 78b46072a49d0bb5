/**
 * Receiving an uploaded file: the multipart part is streamed to the files folder (never held in
 * memory), its extension checked, and its form fields returned as text.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from './context.ts';
import { AppError } from './errors.ts';

export interface Upload {
  /** Where the file was stored. */
  readonly path: string;
  /** The name the user's file had. */
  readonly fileName: string;
  readonly fields: Readonly<Record<string, string>>;
}

export async function receiveUpload(
  config: AppConfig,
  request: FastifyRequest,
  extensions: readonly string[] = ['.xlsx', '.csv'],
): Promise<Upload> {
  const part = await request.file();
  if (!part) throw new AppError(400, 'no_file', '请选择要上传的文件');
  const extension = extname(part.filename).toLowerCase();
  if (!extensions.includes(extension)) {
    part.file.resume();
    throw new AppError(400, 'file_type', `只能上传 ${extensions.join(' 或 ')} 文件`);
  }
  // The file keeps the user's name (in a folder of its own), so that row errors name the file as
  // the user knows it.
  const dir = join(config.filesDir, `upload-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  const safeName = basename(part.filename).replace(/[\\/:*?"<>|\p{Cc}]/gu, '_');
  const path = join(dir, safeName || `file${extension}`);
  await pipeline(part.file, createWriteStream(path));
  if (part.file.truncated) throw new AppError(413, 'too_large', '文件过大');
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(part.fields)) {
    if (value && !Array.isArray(value) && 'value' in value) fields[key] = String(value.value);
  }
  return { path, fileName: part.filename, fields };
}
