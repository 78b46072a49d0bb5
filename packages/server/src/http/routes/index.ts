/** Every route module, registered in order by app.ts. */
import type { App } from '../app.ts';
import type { AppConfig } from '../context.ts';
import { adminRoutes } from './admin.ts';
import { agreementRoutes } from './agreements.ts';
import { backofficeRoutes } from './backoffice.ts';
import { collectionRoutes } from './collection.ts';
import { financeRoutes } from './finance.ts';
import { importRoutes } from './imports.ts';
import { peopleRoutes } from './people.ts';
import { policyRoutes } from './policy.ts';
import { reportRoutes } from './reports.ts';
import { residentRoutes } from './resident.ts';
import { sessionRoutes } from './session.ts';

export type RouteModule = (app: App, config: AppConfig) => Promise<void> | void;

export const ROUTES: readonly RouteModule[] = [
  sessionRoutes,
  peopleRoutes,
  agreementRoutes,
  collectionRoutes,
  reportRoutes,
  importRoutes,
  financeRoutes,
  backofficeRoutes,
  policyRoutes,
  residentRoutes,
  adminRoutes,
];
