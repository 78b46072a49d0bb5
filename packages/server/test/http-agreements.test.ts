/**
 * Bank withholding for village and township staff through the API: the failed debits of a bank's
 * result file listed per region (a village clerk sees her village, the township its villages), and
 * a clerk changing a closed card — audited, the old agreement closed with the reason, the next batch
 * debiting the new card — while another village's clerk is refused and a bad card writes nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import {
  addAgreement,
  exportWithholdingBatch,
  importWithholdingResult,
} from '../src/collection/withholding.ts';
import { openTable } from '../src/files/read-table.ts';
import { csvFile } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';
import { PEOPLE, TODAY, TOWNSHIP, VILLAGE_1, VILLAGE_2, type WebWorld, webWorld } from './http-harness.ts';

const CARD_ZHANG = '6228480000000000011';
const CARD_WANG = '6228480000000000029';
const CARD_ZHAO = '6228480000000000037';
const NEW_CARD = '6217990000000000045';

const dir = mkdtempSync(join(tmpdir(), 'canbao-agreements-'));
let fileCounter = 0;

async function readBatch(file: string): Promise<{ headers: string[]; rows: Record<string, string>[] }> {
  const table = await openTable(file, { requiredHeaders: [['批次号'], ['序号'], ['应扣金额（元）']] });
  const rows: Record<string, string>[] = [];
  for await (const row of table.rows()) rows.push({ ...row.values });
  return { headers: [...table.headers], rows };
}

describeEachEngine('bank agreements and failed debits in the web', (engine) => {
  const fresh = useFreshDatabases(engine);
  let web: WebWorld | null = null;
  afterEach(async () => {
    await web?.close();
    web = null;
  });

  /**
   * 张三 and 王五 (蕲县村) and 赵六 (邱元村) sign agreements; the bank debits 王五 and fails 张三
   * (卡已注销) and 赵六 (余额不足).
   */
  async function afterFailedBatch() {
    web = await webWorld(await fresh());
    const w = web;
    const ctx = w.world.ctx(TODAY, 'bureau');
    const ids = {
      zhang: await w.personId(PEOPLE.zhang),
      li: await w.personId(PEOPLE.li),
      wang: await w.personId(PEOPLE.wang),
      zhao: await w.personId(PEOPLE.zhao),
    };
    const bank = '中国农业银行宿州分行';
    await addAgreement(ctx, { personId: ids.zhang, bank, cardNumber: CARD_ZHANG, holderName: '张三' });
    await addAgreement(ctx, { personId: ids.wang, bank, cardNumber: CARD_WANG, holderName: '王五' });
    await addAgreement(ctx, { personId: ids.zhao, bank, cardNumber: CARD_ZHAO, holderName: '赵六' });
    const file = join(dir, `batch-${fileCounter++}.csv`);
    const batch = await exportWithholdingBatch(ctx, { out: file });
    expect(batch).toMatchObject({ rows: 3, totalFen: 96_000 });
    const { headers, rows } = await readBatch(file);
    const outcome: Record<string, [string, string]> = {
      张三: ['失败', '卡已注销'],
      王五: ['成功', ''],
      赵六: ['扣款失败', '余额不足'],
    };
    const result = csvFile([
      headers.join(','),
      ...rows.map((r) => {
        const [done, reason] = outcome[r.参保人姓名 as string] as [string, string];
        return headers
          .map((h) => (h === '扣款结果' ? done : h === '失败原因' ? reason : (r[h] ?? '')))
          .join(',');
      }),
    ]);
    const summary = await importWithholdingResult(ctx, { file: result, on: TODAY });
    expect(summary).toMatchObject({ succeeded: 1, succeededFen: 32_000, failed: 2, failedFen: 64_000 });
    return { w, ids, batchNo: (batch as { batchNo: string }).batchNo };
  }

  const names = (answer: { items: { name: string }[] }) => answer.items.map((i) => i.name);

  it('lists the failed debits of the village to its clerk, of its villages to the township, with what to do', async () => {
    const { w, batchNo } = await afterFailedBatch();
    const village1 = await w.login('village1');
    const mine = await w.call(village1, 'GET', '/api/withholding/failures');
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({
      benefitYear: 2022,
      total: 1,
      byAction: { change_card: 1, top_up: 0, check: 0 },
    });
    expect(mine.json().items).toEqual([
      {
        personId: await w.personId(PEOPLE.zhang),
        name: '张三',
        idNumberMasked: expect.stringMatching(/^341302\*{8}\d{3}[\dX]$/),
        villageCode: VILLAGE_1,
        villageName: '蕲县村',
        bank: '中国农业银行宿州分行',
        cardMasked: '6228***********0011',
        holderName: '张三',
        amountFen: 32_000,
        failureReason: '卡已注销',
        batchNo,
        resultOn: TODAY,
        cardChanged: false,
        action: 'change_card',
        advice: '请为其更换银行卡（变更代扣协议）',
      },
    ]);
    expect(mine.body).not.toContain(CARD_ZHANG);
    expect(mine.body).not.toContain(PEOPLE.zhang);

    const village2 = await w.login('village2');
    const theirs = (await w.call(village2, 'GET', '/api/withholding/failures')).json();
    expect(names(theirs)).toEqual(['赵六']);
    expect(theirs.items[0]).toMatchObject({
      villageCode: VILLAGE_2,
      failureReason: '余额不足',
      action: 'top_up',
      advice: '提醒持卡人存入足额款项，下一批次将再次扣款',
    });
    // Another village's list does not exist for her.
    const other = await w.call(village2, 'GET', `/api/withholding/failures?region=${VILLAGE_1}`);
    expect(other.statusCode).toBe(404);

    const township = await w.login('township');
    const all = (await w.call(township, 'GET', '/api/withholding/failures')).json();
    expect(names(all)).toEqual(['张三', '赵六']);
    expect(all.byAction).toEqual({ change_card: 1, top_up: 1, check: 0 });
    expect(
      names((await w.call(township, 'GET', `/api/withholding/failures?region=${VILLAGE_2}`)).json()),
    ).toEqual(['赵六']);
    const paged = (await w.call(township, 'GET', '/api/withholding/failures?page=2&pageSize=1')).json();
    expect({ total: paged.total, names: names(paged) }).toEqual({ total: 2, names: ['赵六'] });
    const bureau = await w.login('bureau');
    expect(
      names((await w.call(bureau, 'GET', `/api/withholding/failures?region=${TOWNSHIP}`)).json()),
    ).toEqual(['张三', '赵六']);

    // Once 赵六 pays in cash, her failure is no longer to be dealt with.
    const zhaoHousehold = await w.householdId('R1');
    const due = (await w.call(village2, 'GET', `/api/households/${zhaoHousehold}/due`)).json();
    const paid = await w.call(village2, 'POST', `/api/households/${zhaoHousehold}/cash-payments`, {
      enrollmentIds: due.members.map((m: { enrollmentId: number }) => m.enrollmentId),
      amountFen: due.totalDueFen,
      receiptNo: 'R-ZHAO',
    });
    expect(paid.statusCode).toBe(200);
    expect(names((await w.call(township, 'GET', '/api/withholding/failures')).json())).toEqual(['张三']);
  });

  it('lets the village clerk change a closed card: audited, the old one closed with the reason, the next batch debits the new card', async () => {
    const { w, ids, batchNo } = await afterFailedBatch();
    const db = w.world.handle.db;
    const clerk = await w.login('village1');
    const url = `/api/people/${ids.zhang}/agreement`;

    const before = await w.call(clerk, 'GET', url);
    expect(before.statusCode).toBe(200);
    expect(before.json()).toEqual({
      benefitYear: 2022,
      current: {
        id: expect.any(Number),
        bank: '中国农业银行宿州分行',
        cardMasked: '6228***********0011',
        holderName: '张三',
        holderIdNumberMasked: null,
        validFrom: TODAY,
        validTo: null,
        closeReason: null,
      },
      closed: [],
      sharedWith: [],
      enrollment: { id: expect.any(Number), status: 'awaiting_payment', withhold: true },
      items: [
        {
          batchNo,
          exportedOn: TODAY,
          cardMasked: '6228***********0011',
          amountFen: 32_000,
          result: 'failed',
          resultLabel: '扣款失败',
          failureReason: '卡已注销',
          resultOn: TODAY,
          cardChanged: false,
          advice: '请为其更换银行卡（变更代扣协议）',
        },
      ],
    });
    expect(before.body).not.toContain(CARD_ZHANG);

    const agreementRows = () => db.selectFrom('bank_agreements').selectAll().orderBy('id').execute();
    const agreementAudits = () =>
      db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', 'in', ['agreement_change', 'agreement_add'])
        .orderBy('id')
        .execute();
    const unchanged = await agreementRows();

    // A bad card number: 400 naming the field, nothing written.
    const card = {
      bank: '中国邮政储蓄银行',
      cardNumber: NEW_CARD,
      holderName: '李四',
      holderIdNumber: PEOPLE.li,
    };
    const bad = await w.call(clerk, 'POST', url, { ...card, cardNumber: '6217-12ab', reason: '卡已注销' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'bad_card' });
    expect(bad.json().message).toBe('请求内容有误：cardNumber：银行卡号应为 10–30 位数字：“6217-12ab”');
    const badHolder = await w.call(clerk, 'POST', url, {
      ...card,
      holderIdNumber: '3413021972',
      reason: '卡已注销',
    });
    expect(badHolder.statusCode).toBe(400);
    expect(badHolder.json().message).toMatch(/^请求内容有误：holderIdNumber：/);
    // Changing a card needs the reason.
    const noReason = await w.call(clerk, 'POST', url, card);
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().message).toBe('请求内容有误：reason：变更代扣协议须填写原因（如 卡已注销）');
    // Another village's clerk: the person does not exist for her.
    const stranger = await w.login('village2');
    const refused = await w.call(stranger, 'POST', url, { ...card, reason: '卡已注销' });
    expect(refused.statusCode).toBe(404);
    expect((await w.call(stranger, 'GET', url)).statusCode).toBe(404);
    expect(await agreementRows()).toEqual(unchanged);
    expect(await agreementAudits()).toEqual([]);

    const changed = await w.call(clerk, 'POST', url, { ...card, reason: '卡已注销' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      changed: true,
      agreement: {
        bank: '中国邮政储蓄银行',
        cardMasked: '6217***********0045',
        holderName: '李四',
        validFrom: TODAY,
      },
      closed: { cardMasked: '6228***********0011', validTo: TODAY, closeReason: '卡已注销' },
      pendingBatches: [],
    });
    expect(changed.body).not.toContain(NEW_CARD);
    const [old, , , renewed] = await agreementRows();
    expect(old).toMatchObject({
      person_id: ids.zhang,
      card_number: CARD_ZHANG,
      valid_to: TODAY,
      close_reason: '卡已注销',
    });
    expect(renewed).toMatchObject({
      person_id: ids.zhang,
      bank: '中国邮政储蓄银行',
      card_number: NEW_CARD,
      holder_name: '李四',
      holder_doc_number: PEOPLE.li,
      valid_from: TODAY,
      valid_to: null,
      actor: 'village1',
    });
    const audits = await agreementAudits();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      actor: 'village1',
      action: 'agreement_change',
      object_type: 'person',
      object_id: String(ids.zhang),
      region_code: VILLAGE_1,
    });
    expect(audits[0]?.after_json).toContain('6217***********0045');
    expect(audits[0]?.after_json).not.toContain(NEW_CARD);
    expect(audits[0]?.after_json).not.toContain(PEOPLE.li);
    expect(audits[0]?.before_json).toContain('卡已注销');

    // Still in the list until the next batch, marked as dealt with.
    const listed = (await w.call(clerk, 'GET', '/api/withholding/failures')).json();
    expect(listed.items[0]).toMatchObject({
      name: '张三',
      cardMasked: '6228***********0011',
      cardChanged: true,
      advice: '已更换银行卡，下一批次将从新卡扣款',
    });
    const history = (await w.call(clerk, 'GET', url)).json();
    expect(history.current.cardMasked).toBe('6217***********0045');
    expect(history.current.holderIdNumberMasked).toMatch(/^341302\*{8}\d{3}[\dX]$/);
    expect(history.closed).toMatchObject([{ cardMasked: '6228***********0011', closeReason: '卡已注销' }]);
    expect(history.items).toMatchObject([
      { result: 'failed', cardChanged: true, advice: '已更换银行卡，下一批次将从新卡扣款' },
    ]);

    // The next batch debits the new card (and 赵六's old one again); 张三 leaves the failures list.
    const next = join(dir, `batch-${fileCounter++}.csv`);
    const exported = await exportWithholdingBatch(w.world.ctx(TODAY, 'bureau'), { out: next });
    expect(exported).toMatchObject({ rows: 2, retried: 2, totalFen: 64_000 });
    const { rows } = await readBatch(next);
    expect(rows.map((r) => [r.参保人姓名, r.开户银行, r.银行卡号, r.持卡人]).sort()).toEqual([
      ['张三', '中国邮政储蓄银行', NEW_CARD, '李四'],
      ['赵六', '中国农业银行宿州分行', CARD_ZHAO, '赵六'],
    ]);
    expect((await w.call(clerk, 'GET', '/api/withholding/failures')).json()).toMatchObject({
      total: 0,
      items: [],
    });
    const pending = (await w.call(clerk, 'GET', url)).json();
    expect(
      pending.items.map((i: { result: string; cardMasked: string }) => [i.result, i.cardMasked]),
    ).toEqual([
      ['pending', '6217***********0045'],
      ['failed', '6228***********0011'],
    ]);
  });

  it("opens an agreement on a household card (the township), then moves the household's members to a new card together", async () => {
    const { w, ids } = await afterFailedBatch();
    const db = w.world.handle.db;
    const township = await w.login('township');
    // 李四 is debited from her husband's card.
    const opened = await w.call(township, 'POST', `/api/people/${ids.li}/agreement`, {
      bank: '中国农业银行宿州分行',
      cardNumber: '6228 4800 0000 0000 011',
      holderName: '张三',
    });
    expect(opened.statusCode).toBe(200);
    expect(opened.json()).toMatchObject({
      personId: ids.li,
      changed: false,
      agreement: { cardMasked: '6228***********0011', holderName: '张三', validFrom: TODAY },
      closed: null,
      withholdMarked: 1,
      alsoFor: [],
    });
    const li = (await w.call(township, 'GET', `/api/people/${ids.li}/agreement`)).json();
    expect(li).toMatchObject({
      enrollment: { status: 'awaiting_payment', withhold: true },
      items: [],
      sharedWith: [{ personId: ids.zhang, name: '张三' }],
    });
    const url = `/api/people/${ids.zhang}/agreement`;
    expect((await w.call(township, 'GET', url)).json().sharedWith).toEqual([
      { personId: ids.li, name: '李四' },
    ]);

    // Only members of the household: 赵六 lives elsewhere, and nothing is written.
    const current = () =>
      db
        .selectFrom('bank_agreements')
        .select(['person_id', 'card_number', 'close_reason'])
        .where('valid_to', 'is', null)
        .orderBy('person_id')
        .execute();
    const before = await current();
    const card = { bank: '中国邮政储蓄银行', cardNumber: NEW_CARD, holderName: '张三', reason: '卡已注销' };
    const stranger = await w.call(township, 'POST', url, { ...card, alsoFor: [ids.zhao] });
    expect(stranger.statusCode).toBe(404);
    expect(await current()).toEqual(before);

    const moved = await w.call(township, 'POST', url, { ...card, alsoFor: [ids.li] });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({
      personId: ids.zhang,
      changed: true,
      closed: { closeReason: '卡已注销' },
      alsoFor: [
        {
          personId: ids.li,
          name: '李四',
          changed: true,
          agreement: { cardMasked: '6217***********0045', holderName: '张三' },
          closed: { cardMasked: '6228***********0011', validTo: TODAY, closeReason: '卡已注销' },
        },
      ],
    });
    const now = await current();
    expect(now.filter((a) => a.card_number === NEW_CARD).map((a) => a.person_id)).toEqual(
      [ids.zhang, ids.li].sort((a, b) => a - b),
    );
    const audit = await db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'object_id', 'region_code'])
      .where('action', 'in', ['agreement_add', 'agreement_change'])
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { actor: 'township', action: 'agreement_add', object_id: String(ids.li), region_code: VILLAGE_1 },
      { actor: 'township', action: 'agreement_change', object_id: String(ids.zhang), region_code: VILLAGE_1 },
      { actor: 'township', action: 'agreement_change', object_id: String(ids.li), region_code: VILLAGE_1 },
    ]);
  });
});
