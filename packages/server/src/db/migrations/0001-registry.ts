/** The registry: regions, people, households, certified groups, external coverage, imports. */
import { sql } from 'kysely';
import type { Db, MigrationFactory } from './types.ts';
import { columnTypes, notNull } from './types.ts';

export const registry: MigrationFactory = (dialect) => {
  const t = columnTypes(dialect);
  return {
    async up(db: Db) {
      await db.schema
        .createTable('regions')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', notNull)
        .addColumn('level', 'text', notNull)
        .addColumn('parent_code', 'text', (c) => c.references('regions.code'))
        .addColumn('county_code', 'text')
        .addColumn('valid_from', t.date)
        .addColumn('valid_to', t.date)
        .addColumn('merged_into', 'text', (c) => c.references('regions.code'))
        .addColumn('source', 'text', notNull)
        .addCheckConstraint(
          'regions_level',
          sqlIn('level', ['province', 'city', 'county', 'township', 'village']),
        )
        .execute();
      await db.schema.createIndex('regions_parent').on('regions').columns(['parent_code']).execute();

      await t
        .id(db.schema.createTable('imports'))
        .addColumn('county_code', 'text')
        .addColumn('kind', 'text', notNull)
        .addColumn('file_name', 'text', notNull)
        .addColumn('file_sha256', 'text', notNull)
        .addColumn('department', 'text')
        .addColumn('effective_date', t.date)
        .addColumn('status', 'text', notNull)
        .addColumn('accept_valid', t.flag, notNull)
        .addColumn('rows_total', 'integer', notNull)
        .addColumn('rows_written', 'integer', notNull)
        .addColumn('rows_rejected', 'integer', notNull)
        .addColumn('summary', 'text', notNull)
        .addColumn('actor', 'text', notNull)
        .addColumn('started_at', t.timestamp, notNull)
        .addColumn('finished_at', t.timestamp, notNull)
        .execute();
      await db.schema.createIndex('imports_file').on('imports').columns(['kind', 'file_sha256']).execute();

      await t
        .id(db.schema.createTable('households'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('number', 'text', notNull)
        .addColumn('village_code', 'text', (c) => c.references('regions.code'))
        .addColumn('head_person_id', t.bigint)
        .addColumn('created_at', t.timestamp, notNull)
        .addColumn('updated_at', t.timestamp, notNull)
        .addUniqueConstraint('households_number', ['county_code', 'number'])
        .execute();
      await db.schema
        .createIndex('households_village')
        .on('households')
        .columns(['county_code', 'village_code'])
        .execute();

      await t
        .id(db.schema.createTable('people'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('doc_type', 'text', notNull)
        .addColumn('doc_number', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('sex', 'text')
        .addColumn('birth_date', t.date)
        .addColumn('hukou_region_code', 'text')
        .addColumn('residence_region_code', 'text')
        .addColumn('address', 'text')
        .addColumn('household_id', t.bigint, (c) => c.references('households.id'))
        .addColumn('phone', 'text')
        .addColumn('deceased_on', t.date)
        .addColumn('is_student', t.flag, (c) => c.notNull().defaultTo(0))
        .addColumn('school', 'text')
        .addColumn('created_at', t.timestamp, notNull)
        .addColumn('updated_at', t.timestamp, notNull)
        .addColumn('source_import_id', t.bigint, (c) => c.references('imports.id'))
        .addUniqueConstraint('people_document', ['county_code', 'doc_type', 'doc_number'])
        .addCheckConstraint(
          'people_doc_type',
          sqlIn('doc_type', [
            'resident_id',
            'hk_macau_taiwan_permit',
            'foreigner_permanent_residence',
            'passport',
            'other',
          ]),
        )
        .execute();
      await db.schema
        .createIndex('people_household')
        .on('people')
        .columns(['county_code', 'household_id'])
        .execute();
      await db.schema
        .createIndex('people_hukou')
        .on('people')
        .columns(['county_code', 'hukou_region_code'])
        .execute();
      await db.schema.createIndex('people_name').on('people').columns(['county_code', 'name']).execute();

      await t
        .id(db.schema.createTable('household_members'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('household_id', t.bigint, (c) => c.notNull().references('households.id'))
        .addColumn('person_id', t.bigint, (c) => c.notNull().references('people.id'))
        .addColumn('relation', 'text')
        .addColumn('valid_from', t.date, notNull)
        .addColumn('valid_to', t.date)
        .addColumn('source_import_id', t.bigint, (c) => c.references('imports.id'))
        .execute();
      await db.schema
        .createIndex('household_members_household')
        .on('household_members')
        .columns(['county_code', 'household_id'])
        .execute();
      await db.schema
        .createIndex('household_members_person')
        .on('household_members')
        .columns(['county_code', 'person_id'])
        .execute();

      await t
        .id(db.schema.createTable('person_groups'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('person_id', t.bigint, (c) => c.notNull().references('people.id'))
        .addColumn('group_code', 'text', notNull)
        .addColumn('department', 'text', notNull)
        .addColumn('certified_on', t.date)
        .addColumn('valid_from', t.date, notNull)
        .addColumn('valid_to', t.date)
        .addColumn('source_import_id', t.bigint, (c) => c.references('imports.id'))
        .addColumn('source_line', 'integer')
        .execute();
      await db.schema
        .createIndex('person_groups_person')
        .on('person_groups')
        .columns(['county_code', 'person_id'])
        .execute();
      await db.schema
        .createIndex('person_groups_department')
        .on('person_groups')
        .columns(['county_code', 'department', 'group_code', 'valid_to'])
        .execute();

      await t
        .id(db.schema.createTable('external_coverage'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('person_id', t.bigint, (c) => c.notNull().references('people.id'))
        .addColumn('kind', 'text', notNull)
        .addColumn('detail', 'text')
        .addColumn('region_code', 'text')
        .addColumn('consecutive_years', 'integer')
        .addColumn('valid_from', t.date)
        .addColumn('stopped_on', t.date)
        .addColumn('source_import_id', t.bigint, (c) => c.references('imports.id'))
        .addColumn('source_line', 'integer')
        .addCheckConstraint('external_coverage_kind', sqlIn('kind', ['employee_insurance', 'other_region']))
        .execute();
      await db.schema
        .createIndex('external_coverage_person')
        .on('external_coverage')
        .columns(['county_code', 'person_id'])
        .execute();

      await t
        .id(db.schema.createTable('enrollment_history'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('person_id', t.bigint, (c) => c.notNull().references('people.id'))
        .addColumn('benefit_year', 'integer', notNull)
        .addColumn('insured_region_code', 'text')
        .addColumn('amount_fen', t.bigint)
        .addColumn('source_import_id', t.bigint, (c) => c.references('imports.id'))
        .addUniqueConstraint('enrollment_history_person_year', ['county_code', 'person_id', 'benefit_year'])
        .execute();

      await t
        .id(db.schema.createTable('ecert_activations'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('person_id', t.bigint, (c) => c.notNull().references('people.id'))
        .addColumn('activated_on', t.date, notNull)
        .addColumn('source_import_id', t.bigint, (c) => c.references('imports.id'))
        .addUniqueConstraint('ecert_activations_person', ['county_code', 'person_id'])
        .execute();

      await t
        .id(db.schema.createTable('task_targets'))
        .addColumn('county_code', 'text', notNull)
        .addColumn('region_code', 'text', (c) => c.notNull().references('regions.code'))
        .addColumn('benefit_year', 'integer', notNull)
        .addColumn('eligible_people', 'integer', notNull)
        .addColumn('amount_fen', t.bigint, notNull)
        .addColumn('source', 'text', notNull)
        .addUniqueConstraint('task_targets_region_year', ['county_code', 'region_code', 'benefit_year'])
        .execute();
    },
    async down(db: Db) {
      for (const table of [
        'task_targets',
        'ecert_activations',
        'enrollment_history',
        'external_coverage',
        'person_groups',
        'household_members',
        'people',
        'households',
        'imports',
        'regions',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
};

/** A CHECK (column IN (...)) expression; values are constants of this file, never user input. */
function sqlIn(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}
