/**
 * Uploading lists from the browser: a department's list of the people it certifies (a submitter
 * only for their own department), through the same import pipeline as the command line — every
 * row checked, nothing written when a row is wrong, an error report (.xlsx with 错误原因) to
 * download — and, during a campaign, the unpaid people whose groups changed reassessed at once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEPARTMENTS, type DepartmentCode, departmentFromLabel, parseDate } from '@canbao/core';
import { z } from 'zod';
import { reassessAfterGroupImport } from '../../collection/group-changes.ts';
import type { DatabaseHandle } from '../../db/open.ts';
import { importFile } from '../../registry/import.ts';
import { writeImportErrorReport } from '../../registry/import-errors.ts';
import { IMPORT_KINDS } from '../../registry/kinds/index.ts';
import type { App } from '../app.ts';
import { type AppConfig, change, needs, userOf } from '../context.ts';
import { AppError, notFound } from '../errors.ts';
import { receiveUpload } from '../uploads.ts';

const errorReportPath = (config: AppConfig, importId: number) =>
  join(config.filesDir, `import-${importId}-errors.xlsx`);

export async function importRoutes(app: App, config: AppConfig) {
  app.post(
    '/api/imports/groups',
    {
      preValidation: needs('imports.department'),
      schema: {
        summary: '上传部门认定名单（multipart：file，department，effective）',
        tags: ['名单导入'],
        consumes: ['multipart/form-data'],
      },
    },
    async (request) => {
      const user = userOf(request);
      const upload = await receiveUpload(config, request);
      const fields = upload.fields;
      // A department's submitter speaks for their own department only.
      let department: DepartmentCode | null;
      if (user.role === 'department') {
        department = user.department as DepartmentCode;
        if (fields.department && departmentFromLabel(fields.department) !== department) {
          throw new AppError(403, 'forbidden', `您只能上报${DEPARTMENTS[department].label}的认定名单`);
        }
      } else {
        department = fields.department ? departmentFromLabel(fields.department) : null;
        if (!department) throw new AppError(400, 'department', '请选择认定部门');
      }
      const today = config.clock.today();
      let effective = today;
      if (fields.effective) {
        try {
          effective = parseDate(fields.effective).toString();
        } catch (error) {
          throw new AppError(400, 'effective', `生效日期有误：${(error as Error).message}`);
        }
      }
      const stored = upload.path;
      const kind = IMPORT_KINDS.groups as Parameters<typeof importFile>[0]['kind'];
      return change(config, request, async (ctx) => {
        const handle: DatabaseHandle = {
          db: ctx.db,
          dialect: config.dialect,
          location: 'web',
          backup: () => Promise.reject(new Error('not available')),
          close: async () => {},
        };
        const result = await importFile({
          handle,
          kind,
          file: stored,
          countyCode: ctx.countyCode,
          today,
          effectiveDate: effective,
          department,
          actor: ctx.actor,
        });
        const reassessed = await reassessAfterGroupImport(ctx, result);
        if (result.errors.length > 0 && result.importId !== null) {
          // The report is a convenience: failing to write it must not undo the import's answer.
          await writeImportErrorReport(kind, result, stored, errorReportPath(config, result.importId)).catch(
            (error) => request.log.warn({ err: error }, 'error report not written'),
          );
        }
        const answer = {
          id: result.importId,
          status: result.status,
          fileName: upload.fileName,
          rowsTotal: result.rowsTotal,
          rowsWritten: result.rowsWritten,
          rowsRejected: result.rowsRejected,
          errors: result.errors
            .slice(0, 500)
            .map((e) => ({ line: e.line, field: e.column, message: e.reason })),
          summary: result.counts,
          reassessed,
        };
        return {
          result: answer,
          audit: {
            action: 'import_groups',
            objectType: 'import',
            objectId: result.importId,
            after: { ...answer, errors: answer.errors.length, department, effective },
          },
        };
      });
    },
  );

  app.get(
    '/api/imports',
    { preValidation: needs('imports.department'), schema: { summary: '导入记录', tags: ['名单导入'] } },
    async (request) => {
      const user = userOf(request);
      let query = config.db
        .selectFrom('imports')
        .selectAll()
        .where('county_code', '=', user.county_code)
        .orderBy('id', 'desc')
        .limit(200);
      if (user.role === 'department') query = query.where('department', '=', user.department);
      return (await query.execute()).map((r) => ({
        id: r.id,
        kind: r.kind,
        fileName: r.file_name,
        department: r.department,
        departmentLabel:
          r.department && r.department in DEPARTMENTS
            ? DEPARTMENTS[r.department as DepartmentCode].label
            : null,
        effectiveDate: r.effective_date,
        status: r.status,
        rowsTotal: r.rows_total,
        rowsWritten: r.rows_written,
        rowsRejected: r.rows_rejected,
        actor: r.actor,
        finishedAt: r.finished_at,
        hasErrorReport: existsSync(errorReportPath(config, r.id)),
      }));
    },
  );

  app.get(
    '/api/imports/:id/errors.xlsx',
    {
      preValidation: needs('imports.department'),
      schema: {
        summary: '导入错误报告',
        tags: ['名单导入'],
        params: z.object({ id: z.coerce.number().int().positive() }),
      },
    },
    async (request, reply) => {
      const user = userOf(request);
      const row = await config.db
        .selectFrom('imports')
        .select(['id', 'department', 'file_name'])
        .where('county_code', '=', user.county_code)
        .where('id', '=', request.params.id)
        .executeTakeFirst();
      if (!row || (user.role === 'department' && row.department !== user.department))
        throw notFound('导入记录');
      const name = `${row.file_name.replace(/\.[^.]+$/, '')}-错误报告.xlsx`;
      return reply
        .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header(
          'content-disposition',
          `attachment; filename="errors.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`,
        )
        .sendFile(`import-${row.id}-errors.xlsx`, config.filesDir);
    },
  );
}
