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

/** The text of a local policy file and of the layer it inherits: everything a policy is made of. */
export interface PolicySource {
  readonly path: string;
  readonly text: string;
  readonly layer: { readonly path: string; readonly text: string } | null;
}

const cache = new Map<string, Policy>();

/** Loads a local policy by id or path, with its inherited layer; throws PolicyNotFoundError or PolicyLoadError. */
export function loadPolicy(ref: string, dir = policiesDir()): Policy {
  const path = looksLikePath(ref) ? resolve(ref) : join(dir, `${ref}.yaml`);
  const cached = cache.get(path);
  if (cached) return cached;
  const policy = policyFromSource(readPolicySource(ref, dir));
  cache.set(path, policy);
  return policy;
}

/** Reads a local policy file and its layer from disk (without caching). */
export function readPolicySource(ref: string, dir = policiesDir()): PolicySource {
  const path = looksLikePath(ref) ? resolve(ref) : join(dir, `${ref}.yaml`);
  if (!looksLikePath(ref) && !existsSync(path)) {
    const known = existsSync(dir) ? listPolicyIds(dir).join('、') : '';
    throw new PolicyNotFoundError(`未知的政策“${ref}”。可用的政策：${known}`);
  }
  const { file, text } = readPolicyFile(path);
  if (file.kind !== 'local') {
    throw new PolicyLoadError([
      { file: path, line: 1, column: 1, path: 'kind', message: '这是政策层（layer），不能单独用于测算' },
    ]);
  }
  if (!file.inherits) return { path, text, layer: null };
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
  return { path, text, layer: { path: layerPath, text: loaded.text } };
}

const sourceCache = new Map<string, Policy>();

/**
 * Builds the policy from its texts (as stored with a campaign): the hash is sha256 over the
 * local file's text followed by the layer's, so the same texts always give the same hash.
 */
export function policyFromSource(source: PolicySource): Policy {
  const hash = createHash('sha256').update(source.text);
  if (source.layer) hash.update(source.layer.text);
  const digest = hash.digest('hex');
  const cached = sourceCache.get(digest);
  if (cached) return cached;
  const file = parsePolicyFile(source.text, source.path);
  if (file.kind !== 'local') {
    throw new PolicyLoadError([
      {
        file: source.path,
        line: 1,
        column: 1,
        path: 'kind',
        message: '这是政策层（layer），不能单独用于测算',
      },
    ]);
  }
  let layer: LayerFile | null = null;
  if (source.layer) {
    const parsed = parsePolicyFile(source.layer.text, source.layer.path);
    if (parsed.kind !== 'layer') {
      throw new PolicyLoadError([
        {
          file: source.path,
          line: 1,
          column: 1,
          path: 'inherits',
          message: `“${source.layer.path}”不是政策层（layer）`,
        },
      ]);
    }
    layer = parsed;
  }
  const policy = resolvePolicy(file, layer, digest);
  sourceCache.set(digest, policy);
  return policy;
}
