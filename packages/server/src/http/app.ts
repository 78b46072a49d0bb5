/**
 * The web application's server: Fastify with zod schemas (published as OpenAPI at /api/docs),
 * security headers, rate limits, cookie sessions with CSRF tokens, and the routes. Every route is
 * thin: it validates, checks the role and the region scope, calls a service and presents the
 * allowed fields. The built React application is served from the same origin.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { maskIdNumbersIn } from '@canbao/core';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifySchemaValidationError,
  type RawServerDefault,
} from 'fastify';
import { jsonSchemaTransform, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { type ZodType, z } from 'zod';
import { resumeSession } from '../access/sessions.ts';
import type { AppConfig } from './context.ts';
import { AppError, handleError } from './errors.ts';
import { ROUTES } from './routes/index.ts';

export const SESSION_COOKIE = 'canbao_sid';
export const CSRF_HEADER = 'x-csrf-token';

/** Requests that change nothing; everything else must carry the session's CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export async function buildApp(config: AppConfig): Promise<App> {
  const app = Fastify({
    logger: config.logger
      ? {
          // No full identity number reaches the log: URLs are masked as they are serialised, bodies
          // are never logged, and every line is masked once more on its way out (error messages).
          serializers: {
            req: (req) => ({ method: req.method, url: maskIdNumbersIn(req.url), ip: req.ip }),
          },
          stream: maskingStream(config.logger === true ? process.stdout : config.logger.stream),
        }
      : false,
    trustProxy: config.trustProxy ?? false,
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  // The library's validator, with zod's own messages in Chinese (a schema's own message still wins).
  app.setValidatorCompiler(({ schema }) => (data) => {
    const result = (schema as ZodType).safeParse(data, { error: chineseMessage });
    return result.success ? { value: result.data } : { error: validationErrors(result.error) };
  });
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  const serveWebApp = config.webRoot !== null && existsSync(join(config.webRoot, 'index.html'));
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/') || !serveWebApp) {
      return reply.status(404).send({ code: 'not_found', message: '没有这个地址' });
    }
    // The web application routes in the browser: every other path gets its page.
    return reply.type('text/html').sendFile('index.html');
  });

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Ant Design writes its styles at run time (CSS-in-JS).
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        upgradeInsecureRequests: config.secureCookies ? [] : null,
      },
    },
    hsts: config.secureCookies,
  });
  await app.register(fastifyRateLimit, {
    max: config.rateLimitPerMinute ?? 1200,
    timeWindow: '1 minute',
  });
  await app.register(fastifyCookie);
  await app.register(fastifyMultipart, { limits: { fileSize: 200 * 1024 * 1024, files: 1 } });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'canbao 参保 API',
        description: '城乡居民基本医疗保险参保登记与保费征缴',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          csrf: { type: 'apiKey', in: 'header', name: CSRF_HEADER },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const token = request.cookies[SESSION_COOKIE];
    if (token) request.auth = await resumeSession(config.db, token, config.clock.now(), config.timeouts);
    if (request.auth && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (sent !== request.auth.csrfToken) {
        throw new AppError(403, 'csrf', '页面已过期（安全令牌不符），请刷新页面后重试');
      }
    }
  });

  for (const register of ROUTES) await register(app, config);

  // Static files: the built web application at /, and reply.sendFile for downloads (error reports).
  await app.register(fastifyStatic, {
    root: serveWebApp ? (config.webRoot as string) : config.filesDir,
    serve: serveWebApp,
    // Files are looked up per request, so a rebuilt web application is served without a restart;
    // a path that is no file falls through to the not-found handler (the page for browser routes).
    wildcard: true,
    index: ['index.html'],
  });
  return app;
}

const zhCN = z.locales.zhCN().localeError;

/** zod's issues as Fastify's validation errors (field path and message). */
function validationErrors(error: z.ZodError): FastifySchemaValidationError[] {
  return error.issues.map((issue) => ({
    keyword: issue.code,
    instancePath: `/${issue.path.join('/')}`,
    schemaPath: `#/${issue.path.join('/')}/${issue.code}`,
    message: issue.message,
    params: {},
  }));
}

function chineseMessage(issue: Parameters<typeof zhCN>[0]): string | undefined {
  const message = zhCN(issue);
  return typeof message === 'string' ? message : message?.message;
}

/** A stream that masks identity numbers in what is written through it. */
function maskingStream(target: NodeJS.WritableStream): { write(line: string): void } {
  return { write: (line: string) => target.write(maskIdNumbersIn(line)) };
}
