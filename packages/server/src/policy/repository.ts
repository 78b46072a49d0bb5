/**
 * Finding and loading policy files from disk: by id (policies/<id>.yaml) or by path. The core
 * parses and validates; this module reads files, resolves the inherited layer and hashes the
 * text so a stored assessment names the exact rules it came from.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type LayerFile,
  type LocalFile,
  type Policy,
  PolicyLoadError,
  parsePolicyFile,
  resolvePolicy,
} from '@canbao/core';

/** The repository's policies/ folder, or the folder named by CANBAO_POLICIES. */
export function policiesDir(): string {
  return (
    process.env.CANBAO_POLICIES ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../policies')
  );
}

export class PolicyNotFoundError extends Error {
  override name = 'PolicyNotFoundError';
}

function looksLikePath(ref: string): boolean {
  return ref.includes('/') || ref.endsWith('.yaml') || ref.endsWith('.yml');
}

/** Reads and validates one file (local or layer) without resolving inheritance. */
export function readPolicyFile(path: string): { file: LocalFile | LayerFile; text: string } {
  if (!existsSync(path)) throw new PolicyNotFoundError(`找不到政策文件：${path}`);
  const text = readFileSync(path, 'utf8');
  return { file: parsePolicyFile(text, path), text };
}

/** Lists the policy ids in a folder (the *.yaml files that are not tests). */
export function listPolicyIds(dir = policiesDir()): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml') && !name.endsWith('.test.yaml'))
    .map((name) => basename(name, '.yaml'))
    .sort();
}

const cache = new Map<string, Policy>();

/** Loads a local policy by id or path, with its inherited layer; throws PolicyNotFoundError or PolicyLoadError. */
export function loadPolicy(ref: string, dir = policiesDir()): Policy {
  const path = looksLikePath(ref) ? resolve(ref) : join(dir, `${ref}.yaml`);
  if (!looksLikePath(ref) && !existsSync(path)) {
    const known = existsSync(dir) ? listPolicyIds(dir).join('、') : '';
    throw new PolicyNotFoundError(`未知的政策“${ref}”。可用的政策：${known}`);
  }
  const cached = cache.get(path);
  if (cached) return cached;
  const { file, text } = readPolicyFile(path);
  if (file.kind !== 'local') {
    throw new PolicyLoadError([
      { file: path, line: 1, column: 1, path: 'kind', message: '这是政策层（layer），不能单独用于测算' },
    ]);
  }
  const hash = createHash('sha256').update(text);
  let layer: LayerFile | null = null;
  if (file.inherits) {
    // A layer stands beside the local file, or in the policies folder (for files kept elsewhere).
    const besides = join(dirname(path), `${file.inherits}.yaml`);
    const layerPath = existsSync(besides) ? besides : join(dir, `${file.inherits}.yaml`);
    const loaded = readPolicyFile(layerPath);
    if (loaded.file.kind !== 'layer') {
      throw new PolicyLoadError([
        {
          file: path,
          line: 1,
          column: 1,
          path: 'inherits',
          message: `“${file.inherits}”不是政策层（layer）`,
        },
      ]);
    }
    layer = loaded.file;
    hash.update(loaded.text);
  }
  const policy = resolvePolicy(file, layer, hash.digest('hex'));
  cache.set(path, policy);
  return policy;
}
