/**
 * One transaction around a whole web request, so that the change and its audit row commit together
 * (a failed audit write fails the change). The services open their own transactions
 * (`db.transaction().execute(fn)`, `db.startTransaction()`); Kysely refuses those on a transaction,
 * so the request hands services this view of its transaction instead: there, a "transaction" is a
 * savepoint of the request's transaction, its commit releases the savepoint and its rollback rolls
 * back to it. A service therefore behaves exactly as it does alone — a refusal still undoes only
 * its own writes — but nothing is durable until the request commits, audit row included.
 */
import type { ControlledTransaction, Kysely } from 'kysely';
import type { Database } from './schema.ts';

type Controlled = ControlledTransaction<Database, string[]>;

/** Runs `work` inside one transaction, handing it a Kysely whose transactions nest as savepoints. */
export async function inUnitOfWork<T>(
  db: Kysely<Database>,
  work: (db: Kysely<Database>, trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const trx = (await db.startTransaction().execute()) as unknown as Controlled;
  try {
    const result = await work(nestable(trx, { next: 0 }), trx as unknown as Kysely<Database>);
    await trx.commit().execute();
    return result;
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
}

function nestable(trx: Controlled, names: { next: number }): Kysely<Database> {
  const savepoint = async () => {
    const name = `uow_${++names.next}`;
    const point = (await trx.savepoint(name).execute()) as unknown as Controlled;
    return {
      name,
      point,
      release: () => point.releaseSavepoint(name).execute(),
      undo: async () => {
        await point.rollbackToSavepoint(name).execute();
        await point.releaseSavepoint(name).execute();
      },
    };
  };
  return new Proxy(trx, {
    get(target, prop) {
      if (prop === 'transaction') {
        const builder = {
          setIsolationLevel: () => builder,
          setAccessMode: () => builder,
          execute: async <R>(fn: (db: Kysely<Database>) => Promise<R>): Promise<R> => {
            const sp = await savepoint();
            try {
              const result = await fn(nestable(sp.point, names));
              await sp.release();
              return result;
            } catch (error) {
              await sp.undo();
              throw error;
            }
          },
        };
        return () => builder;
      }
      if (prop === 'startTransaction') {
        const builder = {
          setIsolationLevel: () => builder,
          setAccessMode: () => builder,
          execute: async () => {
            const sp = await savepoint();
            const inner = nestable(sp.point, names);
            return new Proxy(inner, {
              get(innerTarget, innerProp) {
                if (innerProp === 'commit') return () => ({ execute: sp.release });
                if (innerProp === 'rollback') return () => ({ execute: sp.undo });
                return Reflect.get(innerTarget, innerProp);
              },
            });
          },
        };
        return () => builder;
      }
      // Kysely keeps its state in private fields: methods must run on the real object.
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as Kysely<Database>;
}
