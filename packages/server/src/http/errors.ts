/**
 * Errors as the API answers them: one shape `{ code, message }` with a stable code and a Chinese
 * message, mapped once here from the service layer's expected errors. Anything unexpected is a 500
 * with a generic message (details go to the log, never to the client).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AccessError } from '../access/users.ts';
import { CollectionError } from '../collection/context.ts';
import { ImportFileError } from '../registry/import.ts';
import { RegionNotFoundError } from '../registry/regions.ts';

/** An expected refusal with its HTTP status. */
export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const notFound = (what = '对象') =>
  new AppError(404, 'not_found', `${what}不存在或不在您的管辖范围内`);
export const forbidden = () => new AppError(403, 'forbidden', '您的角色无权进行此操作');

const ACCESS_STATUS: Record<string, number> = {
  bad_login: 401,
  locked: 423,
  disabled: 403,
};

const COLLECTION_STATUS: Record<string, number> = {
  already_paid: 409,
  payment_conflict: 409,
  concurrent: 409,
  not_found: 404,
  unknown_person: 404,
};

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError)
    return { status: error.status, body: { code: error.code, message: error.message } };
  if (error instanceof AccessError) {
    return { status: ACCESS_STATUS[error.code] ?? 400, body: { code: error.code, message: error.message } };
  }
  if (error instanceof CollectionError) {
    return {
      status: COLLECTION_STATUS[error.code] ?? 422,
      body: { code: error.code, message: error.message },
    };
  }
  if (error instanceof ImportFileError)
    return { status: 422, body: { code: 'import_file', message: error.message } };
  if (error instanceof RegionNotFoundError)
    return { status: 404, body: { code: 'region', message: error.message } };
  const validation = error instanceof Error ? (error as FastifyError).validation : undefined;
  if (validation) {
    const issues = validation.map((v) => {
      const field = v.instancePath.replace(/^\//, '').replaceAll('/', '.') || '';
      return `${field ? `${field}：` : ''}${v.message ?? '格式不正确'}`;
    });
    return {
      status: 400,
      body: {
        code: 'invalid_request',
        message: `请求内容有误：${issues.join('；')}`,
        details: validation,
      },
    };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.statusCode === 429) {
    return { status: 429, body: { code: 'rate_limited', message: '请求过于频繁，请稍后再试' } };
  }
  if (fastifyError.statusCode && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      body: { code: fastifyError.code ?? 'bad_request', message: `请求有误：${fastifyError.message}` },
    };
  }
  return { status: 500, body: { code: 'internal', message: '系统内部错误，请稍后重试或联系管理员' } };
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const { status, body } = errorResponse(error);
  if (status >= 500) request.log.error({ err: error }, 'unexpected error');
  return reply.status(status).send(body);
}
