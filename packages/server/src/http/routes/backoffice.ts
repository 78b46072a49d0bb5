/**
 * The back-office files from the browser: a bank withholding batch out (its file to download) and
 * the bank's result file in; the tax bureau's confirmation file; 先缴后补 reimbursement batches
 * created, paid and confirmed; and a department's own list of the people it certified. All through
 * the same services as the command line, each change audited.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DEPARTMENTS, isDepartmentCode, maskIdNumber, maskIdNumbersInValue } from '@canbao/core';
import { z } from 'zod';
import { findCampaign } from '../../collection/campaign.ts';
import {
  confirmReimbursementBatch,
  createReimbursementBatch,
  funderFromLabel,
  funderName,
  payReimbursementBatch,
} from '../../collection/reimbursements.ts';
import { importTaxConfirmations } from '../../collection/tax.ts';
import {
  batchItems,
  exportWithholdingBatch,
  importWithholdingResult,
  maskCard,
  writeBatchFile,
} from '../../collection/withholding.ts';
import type { App } from '../app.ts';
import { type AppConfig, change, collectionContext, needs, userOf } from '../context.ts';
import { AppError } from '../errors.ts';
import { receiveUpload } from '../uploads.ts';
import { groupName } from './people.ts';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const BatchNo = z.object({ batchNo: z.string().regex(/^[\w-]{3,64}$/, '批次号格式不正确') });

export async function backofficeRoutes(app: App, config: AppConfig) {
  app.post(
    '/api/withholding/batches',
    {
      preValidation: needs('withholding.manage'),
      schema: {
        summary: '生成银行代扣批次（应代扣且未缴费的人员，含上批失败重扣）',
        tags: ['银行代扣'],
        body: z.object({ bank: z.string().optional(), format: z.enum(['xlsx', 'csv']).default('xlsx') }),
      },
    },
    async (request) => {
      const body = request.body;
      // The data folder's files/ exists only once something was uploaded; the export writes there.
      await mkdir(config.filesDir, { recursive: true });
      return change(config, request, async (ctx) => {
        const out = (batchNo: string) => join(config.filesDir, `withholding-${batchNo}.${body.format}`);
        const batch = await exportWithholdingBatch(ctx, { out, bank: body.bank });
        if (!batch) throw new AppError(409, 'nothing_to_withhold', '没有需要代扣的人员');
        const result = { ...batch, file: basename(batch.file) };
        return {
          result,
          audit: {
            action: 'withholding_export',
            objectType: 'withholding_batch',
            objectId: batch.batchNo,
            after: result,
          },
        };
      });
    },
  );

  app.get(
    '/api/withholding/batches/:batchNo/file',
    {
      preValidation: needs('withholding.manage'),
      schema: {
        summary: '下载代扣批次文件（交银行）',
        tags: ['银行代扣'],
        params: BatchNo,
        querystring: z.object({ format: z.enum(['xlsx', 'csv']).default('xlsx') }),
      },
    },
    async (request, reply) => {
      const user = userOf(request);
      const dir = await mkdtemp(join(tmpdir(), 'canbao-batch-'));
      try {
        const file = join(dir, `${request.params.batchNo}.${request.query.format}`);
        await writeBatchFile(collectionContext(config, user), request.params.batchNo, file);
        const name = `代扣批次_${request.params.batchNo}.${request.query.format}`;
        return reply
          .type(request.query.format === 'csv' ? 'text/csv; charset=utf-8' : XLSX)
          .header(
            'content-disposition',
            `attachment; filename="batch"; filename*=UTF-8''${encodeURIComponent(name)}`,
          )
          .send(await readFile(file));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  app.get(
    '/api/withholding/batches/:batchNo/items',
    {
      preValidation: needs('withholding.manage'),
      schema: {
        summary: '代扣批次明细（failed=1 只列扣款失败的人员，供乡镇跟进换卡、充值）',
        tags: ['银行代扣'],
        params: BatchNo,
        querystring: z.object({ failed: z.enum(['0', '1']).default('0') }),
      },
    },
    async (request) => {
      const ctx = collectionContext(config, userOf(request));
      const rows = await batchItems(
        ctx,
        request.params.batchNo,
        request.query.failed === '1' ? ['failed'] : undefined,
      );
      return {
        batchNo: request.params.batchNo,
        items: rows.map(({ docNumber, cardNumber, result: _code, ...row }) => ({
          ...row,
          idNumberMasked: maskIdNumber(docNumber),
          cardNumber: maskCard(cardNumber),
        })),
      };
    },
  );

  app.post(
    '/api/withholding/results',
    {
      preValidation: needs('withholding.manage'),
      schema: {
        summary: '上传银行扣款结果文件（multipart：on 扣款日期，file）',
        tags: ['银行代扣'],
        consumes: ['multipart/form-data'],
      },
    },
    async (request) => {
      const upload = await receiveUpload(config, request);
      return change(config, request, async (ctx) => {
        const summary = await importWithholdingResult(ctx, {
          file: upload.path,
          on: upload.fields.on || undefined,
        });
        const result = maskIdNumbersInValue({ ...summary, file: upload.fileName });
        return {
          result,
          audit: {
            action: 'withholding_result',
            objectType: 'withholding_batch',
            objectId: summary.batchNo,
            after: { ...result, conflicts: summary.conflicts.length },
          },
        };
      });
    },
  );

  app.post(
    '/api/tax/confirmations',
    {
      preValidation: needs('tax.manage'),
      schema: {
        summary: '上传税务确认文件（multipart：file）',
        tags: ['税务确认'],
        consumes: ['multipart/form-data'],
      },
    },
    async (request) => {
      const upload = await receiveUpload(config, request);
      return change(config, request, async (ctx) => {
        const imported = await importTaxConfirmations(ctx, upload.path);
        const { outcomes, ...rest } = imported;
        const result = {
          ...rest,
          source: upload.fileName,
          outcomes: maskIdNumbersInValue(outcomes.slice(0, 500)),
        };
        return {
          result,
          audit: {
            action: 'tax_confirmations',
            objectType: 'tax_file',
            objectId: upload.fileName,
            after: rest,
          },
        };
      });
    },
  );

  app.post(
    '/api/reimbursements',
    {
      preValidation: needs('subsidies.manage'),
      schema: {
        summary: '生成先缴后补批次（按资金来源）',
        tags: ['资助结算'],
        body: z.object({ funder: z.string().min(1, '请选择资金来源') }),
      },
    },
    async (request) => {
      const funder = funderFromLabel(request.body.funder);
      if (!funder) throw new AppError(400, 'funder', `未知的资金来源“${request.body.funder}”`);
      // A policy without 先缴后补 for this funder has nothing to batch, whoever has paid: say so,
      // rather than "nobody is waiting", which reads as if someone might be next week.
      const { campaign, policy } = await findCampaign(config.db, userOf(request).county_code);
      const later = policy.subsidies.rules.filter((r) => r.mode === 'refund_later');
      if (!later.some((r) => r.funder === funder)) {
        const funders = [...new Set(later.map((r) => funderName(r.funder)))];
        throw new AppError(
          409,
          'no_refund_later',
          `${campaign.benefit_year} 年度政策（${policy.title}）没有由${funderName(funder)}出资的先缴后补资助，无需生成先缴后补批次${
            funders.length
              ? `（本政策的先缴后补出资方：${funders.join('、')}）`
              : '（本政策的资助均在缴费时直接抵扣）'
          }`,
        );
      }
      return change(config, request, async (ctx) => {
        const created = await createReimbursementBatch(ctx, { funder });
        const result = { ...created.batch, people: created.items.length };
        return {
          result,
          audit: {
            action: 'reimbursement_create',
            objectType: 'reimbursement_batch',
            objectId: created.batch.batch_no,
            after: result,
          },
        };
      });
    },
  );

  for (const step of ['pay', 'confirm'] as const) {
    app.post(
      `/api/reimbursements/:batchNo/${step}`,
      {
        preValidation: needs('subsidies.manage'),
        schema: {
          summary: step === 'pay' ? '先缴后补批次已拨付' : '先缴后补批次到账确认',
          tags: ['资助结算'],
          params: BatchNo,
          body: z.object({ on: z.iso.date().optional() }).optional(),
        },
      },
      async (request) => {
        const batchNo = request.params.batchNo;
        return change(config, request, async (ctx) => {
          const on = request.body?.on ?? ctx.today;
          const done =
            step === 'pay'
              ? await payReimbursementBatch(ctx, batchNo, { paidOn: on })
              : await confirmReimbursementBatch(ctx, batchNo, { confirmedOn: on });
          return {
            result: done.batch,
            audit: {
              action: `reimbursement_${step}`,
              objectType: 'reimbursement_batch',
              objectId: batchNo,
              after: done.batch,
            },
          };
        });
      },
    );
  }

  app.get(
    '/api/department/members',
    {
      preValidation: needs('imports.department'),
      schema: {
        summary: '本部门认定的人员（部门用户只见本部门名单）',
        tags: ['名单导入'],
        querystring: z.object({
          department: z.string().optional(),
          page: z.coerce.number().int().min(1).default(1),
          pageSize: z.coerce.number().int().min(1).max(200).default(50),
        }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const department = user.role === 'department' ? user.department : (request.query.department ?? null);
      // Own keys only: `constructor` or `__proto__` is no department (an object's `in` says it is).
      if (!department || !isDepartmentCode(department))
        throw new AppError(400, 'department', '请选择认定部门');
      const base = config.db
        .selectFrom('person_groups')
        .innerJoin('people', 'people.id', 'person_groups.person_id')
        .where('person_groups.county_code', '=', user.county_code)
        .where('person_groups.department', '=', department)
        .where('person_groups.valid_to', 'is', null);
      const total = Number(
        (await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
      );
      const rows = await base
        .select([
          'people.id',
          'people.name',
          'people.doc_number',
          'person_groups.group_code',
          'person_groups.valid_from',
          'person_groups.certified_on',
        ])
        .orderBy('people.id')
        .limit(request.query.pageSize)
        .offset((request.query.page - 1) * request.query.pageSize)
        .execute();
      return {
        department,
        departmentLabel: DEPARTMENTS[department].label,
        total,
        items: rows.map((r) => ({
          personId: r.id,
          name: r.name,
          idNumberMasked: maskIdNumber(r.doc_number),
          group: r.group_code,
          groupLabel: groupName(r.group_code),
          validFrom: r.valid_from,
          certifiedOn: r.certified_on,
        })),
      };
    },
  );
}
