import { expect, it } from 'vitest';
import { enroll } from '../src/collection/enrollments.ts';
import { GatewaySimulator, handleGatewayCallback, startCheckout } from '../src/collection/gateway.ts';
import { mobilisationList } from '../src/collection/mobilisation.ts';
import { accountBalances } from '../src/ledger/journal.ts';
import { campaignWorld, idNumber } from './collection-harness.ts';
import { describeEachEngine, useFreshDatabases } from './db-harness.ts';

const A = idNumber('34010219800101001');
const B = idNumber('34010220100202002');
const C = idNumber('34010219500303003');
const config = { merchantKey: 'test-merchant-key' };

describeEachEngine('online self-service through the gateway', (engine) => {
  const fresh = useFreshDatabases(engine);

  async function yaohai() {
    const w = await campaignWorld(await fresh(), 'yaohai-2024', '340102', '2023-09-01');
    await w.importKind('population', [
      '姓名,公民身份号码,户号,与户主关系',
      `钱一,${A},Y1,户主`,
      `钱二,${B},Y1,子`,
      `孙三,${C},Y2,户主`,
    ]);
    await w.importKind('groups', ['姓名,公民身份号码,人员类别', `钱一,${A},低保`], {
      department: 'civil_affairs',
    });
    await w.importKind('groups', ['姓名,公民身份号码,人员类别', `孙三,${C},防止返贫监测对象`], {
      department: 'rural_revitalisation',
    });
    return w;
  }

  it('shows the household what it owes, takes the money once however often the gateway calls back', async () => {
    const w = await yaohai();
    const ctx = w.ctx('2023-10-10', 'resident');
    await enroll(ctx, { personId: await w.personId(A), source: 'online' });
    await enroll(ctx, { personId: await w.personId(B), source: 'online' });

    // Wrong name: the same answer as an unknown number.
    await expect(startCheckout(ctx, config, { name: '钱二', docNumber: A })).rejects.toThrow(
      '未查到与该姓名和证件号码相符的参保登记',
    );
    const checkout = await startCheckout(ctx, config, { name: '钱一', docNumber: A });
    // 瑶海区: 低保 90% of 380 subsidised → pays 38; the child pays 380.
    expect(checkout.amountFen).toBe(3800 + 38000);
    expect(checkout.members.map((m) => [m.name, m.docNumber, m.paysFen])).toEqual([
      ['钱一', `${A.slice(0, 6)}********${A.slice(-4)}`, 3800],
      ['钱二', `${B.slice(0, 6)}********${B.slice(-4)}`, 38000],
    ]);

    const simulator = new GatewaySimulator(config);
    const callback = simulator.pay(checkout, '2023-10-10T15:59:00Z'); // 23:59 in Shanghai
    // Gateways retry: five deliveries at once, then one more later — one payment.
    const deliveries = await Promise.all(
      Array.from({ length: 5 }, () => handleGatewayCallback(ctx, config, callback)),
    );
    expect(deliveries.filter((d) => !d.replayed)).toHaveLength(1);
    const first = deliveries.find((d) => !d.replayed) as (typeof deliveries)[number];
    for (const d of deliveries) expect(d).toMatchObject({ orderId: first.orderId, amountFen: 41800 });
    const again = await handleGatewayCallback(ctx, config, callback);
    expect(again).toMatchObject({ replayed: true, orderId: first.orderId });
    expect(first.lines.map((l) => l.benefitStart)).toEqual(['2024-01-01', '2024-01-01']);
    const order = await w.handle.db.selectFrom('payment_orders').selectAll().executeTakeFirstOrThrow();
    expect(order).toMatchObject({ channel: 'online', paid_on: '2023-10-10', amount_fen: 41800 });
    expect((await accountBalances(w.handle.db, '340102')).get('pending_remittance')).toBe(41800);

    // A tampered callback (amount changed, or signed with another key) records nothing.
    const forged = { ...simulator.pay(checkout, '2023-10-11T01:00:00Z'), amountFen: 100 };
    await expect(handleGatewayCallback(ctx, config, forged)).rejects.toThrow('支付回调签名无效');
    const otherKey = new GatewaySimulator({ merchantKey: 'attacker' }).pay(checkout, '2023-10-11T01:00:00Z');
    await expect(handleGatewayCallback(ctx, config, otherKey)).rejects.toThrow('签名无效');
    expect(await w.handle.db.selectFrom('payment_orders').selectAll().execute()).toHaveLength(1);
  });

  it('lists unpaid partial-subsidy people for their village to mobilise', async () => {
    const w = await yaohai();
    const ctx = w.ctx('2023-10-10');
    const rows = await mobilisationList(ctx);
    // 钱一 (低保, pays 38) and 孙三 (监测 50%, pays 190): neither enrolled yet.
    expect(rows.map((r) => [r.name, r.paysFen, r.status])).toEqual([
      ['钱一', 3800, 'not_enrolled'],
      ['孙三', 19000, 'not_enrolled'],
    ]);
    await enroll(ctx, { personId: await w.personId(C), source: 'bureau' });
    expect((await mobilisationList(ctx)).find((r) => r.name === '孙三')?.status).toBe('awaiting_payment');
  });
});
