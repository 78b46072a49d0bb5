export * from './dates.ts';
export * from './engine/assess.ts';
export * from './engine/batch.ts';
export {
  CompactFacts,
  type Facts,
  FactsError,
  GROUP_INDEX,
  groupMask,
  groupsOfMask,
  readFacts,
} from './engine/facts.ts';
export * from './engine/refund.ts';
export * from './engine/why.ts';
export * from './groups.ts';
export * from './id-number.ts';
export * from './ledger.ts';
export * from './money.ts';
export * from './policy/explain.ts';
export * from './policy/load.ts';
export * from './policy/schema.ts';
export * from './region.ts';
