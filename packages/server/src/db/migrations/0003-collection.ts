/**
 * The campaign: the policy a county runs this benefit year, enrollments with their history, payment
 * orders and their per-person lines, cash remittances, bank agreements and withholding batches, tax
 * confirmations, refunds and reimbursement (先缴后补) batches. Money movements themselves live in the
 * journal (0002); these tables are the business records the journal's transfers point at.
 */
import { sql } from 'kysely';
import type { Db, MigrationFactory } from './types.ts';
import { columnTypes, notNull } from './types.ts';

export const collection: MigrationFactory = (dialect) => {
  const t = columnTypes(dialect);
  const index = async (db: Db, name: string, table: string, columns: string[], unique = false) => {
    let builder = db.schema.createIndex(name).on(table).columns(columns);
    if (unique) builder = builder.unique();
    await builder.execute();
  };
  return {
    async up(db: Db) {
      // The policy a county runs for a benefit year, with the exact text (and layer) it was opened
      // with: assessments name its hash, and the campaign does not change when a file on disk does.
      await t
        .id(db.schema.createTable('campaigns'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('benefit_year', 'integer', notNull)
        .addColumn('policy_id', 'text', notNull)
        .addColumn('policy_hash', 'text', notNull)
        .addColumn('policy_file', 'text', notNull)
        .addColumn('policy_text', 'text', notNull)
        .addColumn('layer_file', 'text')
        .addColumn('layer_text', 'text')
        .addColumn('opened_at', t.timestamp, notNull)
        .addColumn('actor', 'text', notNull)
        .addUniqueConstraint('campaigns_year', ['county_code', 'benefit_year'])
        .execute();

      await t
        .id(db.schema.createTable('enrollments'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('campaign_id', t.bigint, (c) => c.notNull().references('campaigns.id'))
        .addColumn('benefit_year', 'integer', notNull)
        .addColumn('person_id', t.bigint, (c) => c.notNull().references('people.id'))
        .addColumn('household_id', t.bigint)
        .addColumn('village_code', 'text')
        .addColumn('status', 'text', notNull)
        .addColumn('source', 'text', notNull)
        .addColumn('coverage_year', 'integer')
        .addColumn('withhold', t.flag, (c) => c.notNull().defaultTo(0))
        .addColumn('standard_fen', t.bigint, notNull)
        .addColumn('pays_fen', t.bigint, notNull)
        .addColumn('subsidy_fen', t.bigint, notNull)
        .addColumn('refund_later_fen', t.bigint, notNull)
        .addColumn('paid_fen', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('benefit_start', t.date)
        .addColumn('benefit_end', t.date)
        .addColumn('why', 'text', notNull)
        .addColumn('policy_hash', 'text', notNull)
        .addColumn('assessed_on', t.date, notNull)
        .addColumn('assessment', 'text', notNull)
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', t.timestamp, notNull)
        .addColumn('updated_at', t.timestamp, notNull)
        .addUniqueConstraint('enrollments_person_year', ['county_code', 'person_id', 'benefit_year'])
        .execute();
      await index(db, 'enrollments_status', 'enrollments', ['county_code', 'benefit_year', 'status']);
      await index(db, 'enrollments_village', 'enrollments', ['county_code', 'village_code']);
      await index(db, 'enrollments_household', 'enrollments', ['household_id']);

      await t
        .id(db.schema.createTable('enrollment_events'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('enrollment_id', t.bigint, (c) => c.notNull().references('enrollments.id'))
        .addColumn('event', 'text', notNull)
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text', notNull)
        .addColumn('reason', 'text')
        .addColumn('detail', 'text')
        .addColumn('actor', 'text', notNull)
        .addColumn('at', t.timestamp, notNull)
        .execute();
      await index(db, 'enrollment_events_enrollment', 'enrollment_events', ['enrollment_id']);

      // One payment as the channel knows it (a transaction id), covering one or more enrollments.
      await t
        .id(db.schema.createTable('payment_orders'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('channel', 'text', notNull)
        .addColumn('channel_txn_id', 'text', notNull)
        .addColumn('digest', 'text', notNull)
        .addColumn('amount_fen', t.bigint, notNull)
        .addColumn('paid_on', t.date, notNull)
        .addColumn('payer', 'text')
        .addColumn('collector', 'text')
        .addColumn('receipt_no', 'text')
        .addColumn('reference', 'text')
        .addColumn('actor', 'text', notNull)
        .addColumn('created_at', t.timestamp, notNull)
        .addUniqueConstraint('payment_orders_txn', ['county_code', 'channel', 'channel_txn_id'])
        .execute();
      await index(db, 'payment_orders_collector', 'payment_orders', ['county_code', 'collector', 'paid_on']);
      await index(db, 'payment_orders_day', 'payment_orders', ['county_code', 'paid_on', 'channel']);

      await t
        .id(db.schema.createTable('payments'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('order_id', t.bigint, (c) => c.notNull().references('payment_orders.id'))
        .addColumn('enrollment_id', t.bigint, (c) => c.notNull().references('enrollments.id'))
        .addColumn('person_id', t.bigint, notNull)
        .addColumn('channel', 'text', notNull)
        .addColumn('amount_fen', t.bigint, notNull)
        .addColumn('paid_on', t.date, notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('tax_receipt_no', 'text')
        .addColumn('confirmed_on', t.date)
        .execute();
      await index(db, 'payments_order', 'payments', ['order_id']);
      await index(db, 'payments_enrollment', 'payments', ['enrollment_id']);
      await index(db, 'payments_person', 'payments', ['county_code', 'person_id']);

      await t
        .id(db.schema.createTable('remittances'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('collector', 'text', notNull)
        .addColumn('slip_no', 'text', notNull)
        .addColumn('amount_fen', t.bigint, notNull)
        .addColumn('remitted_on', t.date, notNull)
        .addColumn('actor', 'text', notNull)
        .addColumn('created_at', t.timestamp, notNull)
        .addUniqueConstraint('remittances_slip', ['county_code', 'collector', 'slip_no'])
        .execute();

      // The card a person's contribution is withheld from; the holder may be another person. A
      // change of card closes the row and opens another.
      await t
        .id(db.schema.createTable('bank_agreements'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('person_id', t.bigint, (c) => c.notNull().references('people.id'))
        .addColumn('bank', 'text', notNull)
        .addColumn('card_number', 'text', notNull)
        .addColumn('holder_name', 'text', notNull)
        .addColumn('holder_doc_number', 'text')
        .addColumn('valid_from', t.date, notNull)
        .addColumn('valid_to', t.date)
        .addColumn('close_reason', 'text')
        .addColumn('source', 'text', notNull)
        .addColumn('actor', 'text', notNull)
        .addColumn('created_at', t.timestamp, notNull)
        .execute();
      await index(db, 'bank_agreements_person', 'bank_agreements', ['county_code', 'person_id']);
      // At most one current agreement per person, whatever two clerks do at once.
      await db.schema
        .createIndex('bank_agreements_current')
        .on('bank_agreements')
        .columns(['county_code', 'person_id'])
        .unique()
        .where(sql.ref('valid_to'), 'is', null)
        .execute();

      await t
        .id(db.schema.createTable('withholding_batches'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('batch_no', 'text', notNull)
        .addColumn('benefit_year', 'integer', notNull)
        .addColumn('bank', 'text')
        .addColumn('status', 'text', notNull)
        .addColumn('rows', 'integer', notNull)
        .addColumn('total_fen', t.bigint, notNull)
        .addColumn('succeeded', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('succeeded_fen', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('result_sha256', 'text')
        .addColumn('result_file', 'text')
        .addColumn('created_on', t.date, notNull)
        .addColumn('created_at', t.timestamp, notNull)
        .addColumn('completed_at', t.timestamp)
        .addColumn('actor', 'text', notNull)
        .addUniqueConstraint('withholding_batches_no', ['county_code', 'batch_no'])
        .execute();

      await t
        .id(db.schema.createTable('withholding_items'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('batch_id', t.bigint, (c) => c.notNull().references('withholding_batches.id'))
        .addColumn('seq', 'integer', notNull)
        .addColumn('enrollment_id', t.bigint, notNull)
        .addColumn('person_id', t.bigint, notNull)
        .addColumn('agreement_id', t.bigint, notNull)
        .addColumn('amount_fen', t.bigint, notNull)
        .addColumn('result', 'text', notNull)
        .addColumn('failure_reason', 'text')
        .addColumn('result_on', t.date)
        .addColumn('note', 'text')
        .addColumn('returned_on', t.date)
        .addColumn('order_id', t.bigint)
        .addUniqueConstraint('withholding_items_seq', ['batch_id', 'seq'])
        .execute();
      await index(db, 'withholding_items_enrollment', 'withholding_items', ['enrollment_id']);

      await t
        .id(db.schema.createTable('tax_confirmations'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('tax_receipt_no', 'text', notNull)
        .addColumn('doc_number', 'text', notNull)
        .addColumn('name', 'text')
        .addColumn('channel_txn_id', 'text')
        .addColumn('amount_fen', t.bigint, notNull)
        .addColumn('paid_on', t.date)
        .addColumn('confirmed_on', t.date, notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('problem', 'text')
        .addColumn('payment_id', t.bigint)
        .addColumn('source', 'text', notNull)
        .addColumn('source_line', 'integer')
        // sha256 of what the tax side said (receipt, document, amount, dates, transaction id): the
        // same receipt with the same content is a replay; with other content it is kept as a second
        // row (a discrepancy), never written over the first.
        .addColumn('digest', 'text', notNull)
        .addColumn('created_at', t.timestamp, notNull)
        .addUniqueConstraint('tax_confirmations_receipt', ['county_code', 'tax_receipt_no', 'digest'])
        .execute();
      await index(db, 'tax_confirmations_payment', 'tax_confirmations', ['payment_id']);
      // A receipt confirms at most one payment, and a payment is confirmed by at most one receipt,
      // even when two imports race.
      await db.schema
        .createIndex('tax_confirmations_matched_receipt')
        .on('tax_confirmations')
        .columns(['county_code', 'tax_receipt_no'])
        .unique()
        .where(sql.ref('status'), '=', 'matched')
        .execute();
      await db.schema
        .createIndex('tax_confirmations_matched_payment')
        .on('tax_confirmations')
        .columns(['payment_id'])
        .unique()
        .where(sql.ref('status'), '=', 'matched')
        .execute();

      await t
        .id(db.schema.createTable('refunds'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('enrollment_id', t.bigint, (c) => c.notNull().references('enrollments.id'))
        .addColumn('person_id', t.bigint, notNull)
        .addColumn('reason', 'text', notNull)
        .addColumn('requested_on', t.date, notNull)
        .addColumn('decision', 'text', notNull)
        .addColumn('amount_fen', t.bigint, notNull)
        .addColumn('subsidy_reversed_fen', t.bigint, notNull)
        .addColumn('rule_id', 'text', notNull)
        .addColumn('cite', 'text', notNull)
        .addColumn('rule_text', 'text', notNull)
        .addColumn('rule_quote', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('paid_on', t.date)
        .addColumn('payout_reference', 'text')
        .addColumn('actor', 'text', notNull)
        .addColumn('created_at', t.timestamp, notNull)
        .execute();
      await index(db, 'refunds_enrollment', 'refunds', ['enrollment_id']);

      await t
        .id(db.schema.createTable('reimbursement_batches'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('batch_no', 'text', notNull)
        .addColumn('funder', 'text', notNull)
        .addColumn('benefit_year', 'integer', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('people', 'integer', notNull)
        .addColumn('total_fen', t.bigint, notNull)
        .addColumn('created_on', t.date, notNull)
        .addColumn('paid_on', t.date)
        .addColumn('confirmed_on', t.date)
        .addColumn('actor', 'text', notNull)
        .addUniqueConstraint('reimbursement_batches_no', ['county_code', 'batch_no'])
        .execute();
      await t
        .id(db.schema.createTable('reimbursement_items'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('batch_id', t.bigint, (c) => c.notNull().references('reimbursement_batches.id'))
        .addColumn('enrollment_id', t.bigint, notNull)
        .addColumn('person_id', t.bigint, notNull)
        .addColumn('amount_fen', t.bigint, notNull)
        .addUniqueConstraint('reimbursement_items_enrollment', ['county_code', 'enrollment_id'])
        .execute();
      await index(db, 'reimbursement_items_batch', 'reimbursement_items', ['batch_id']);
    },
    async down(db: Db) {
      for (const table of [
        'reimbursement_items',
        'reimbursement_batches',
        'refunds',
        'tax_confirmations',
        'withholding_items',
        'withholding_batches',
        'bank_agreements',
        'remittances',
        'payments',
        'payment_orders',
        'enrollment_events',
        'enrollments',
        'campaigns',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
};
