/**
 * Roles and what each may do (USERS.md). A permission names one kind of work; routes ask for a
 * permission, never for a role, so the table below is the whole access policy in one place and the
 * access-control matrix test reads it.
 */
export const PERMISSIONS = {
  'dashboard.read': '查看征缴进度与排名',
  'people.read': '查询人员与家庭',
  'people.write': '新增新生儿、记录入户核实',
  'id.reveal': '查看完整证件号码（留痕）',
  'collection.cash': '现金代收缴费',
  'collection.manage': '参保登记、续保、资助参保',
  'withholding.manage': '银行代扣批次',
  'tax.manage': '税务确认与差异',
  'subsidies.manage': '资助结算与先缴后补',
  'refunds.request': '提出退费申请',
  'refunds.decide': '审核与支付退费',
  'reports.read': '报表与排查名单',
  'imports.registry': '导入花名册等基础数据',
  'imports.department': '上报本部门认定名单',
  'policy.read': '查看政策与测算说明',
  'users.manage': '用户与角色管理',
  'audit.read': '查看操作日志',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export interface RoleDefinition {
  readonly label: string;
  readonly permissions: readonly Permission[];
  /** The region level the role's users are scoped to (a village clerk to a village…). */
  readonly scope: 'county' | 'township' | 'village';
  /** Department submitters speak for one certifying department. */
  readonly needsDepartment?: true;
}

export const ROLES = {
  admin: {
    label: '系统管理员',
    scope: 'county',
    permissions: [
      'dashboard.read',
      'reports.read',
      'policy.read',
      'users.manage',
      'audit.read',
      'people.read',
    ],
  },
  bureau: {
    label: '医疗保障局',
    scope: 'county',
    permissions: [
      'dashboard.read',
      'people.read',
      'people.write',
      'id.reveal',
      'collection.manage',
      'withholding.manage',
      'tax.manage',
      'subsidies.manage',
      'refunds.request',
      'refunds.decide',
      'reports.read',
      'imports.registry',
      'imports.department',
      'policy.read',
    ],
  },
  tax: {
    label: '税务部门',
    scope: 'county',
    permissions: ['dashboard.read', 'tax.manage', 'reports.read', 'policy.read'],
  },
  finance: {
    label: '财政部门',
    scope: 'county',
    permissions: ['dashboard.read', 'subsidies.manage', 'reports.read', 'policy.read'],
  },
  department: {
    label: '部门认定人员',
    scope: 'county',
    needsDepartment: true,
    permissions: ['imports.department', 'policy.read'],
  },
  township: {
    label: '乡镇（街道）工作人员',
    scope: 'township',
    permissions: [
      'dashboard.read',
      'people.read',
      'people.write',
      'id.reveal',
      'collection.cash',
      'refunds.request',
      'reports.read',
      'policy.read',
    ],
  },
  village: {
    label: '村（社区）工作人员',
    scope: 'village',
    permissions: [
      'dashboard.read',
      'people.read',
      'people.write',
      'id.reveal',
      'collection.cash',
      'reports.read',
      'policy.read',
    ],
  },
  bank: {
    label: '银行',
    scope: 'county',
    permissions: ['withholding.manage'],
  },
} as const satisfies Record<string, RoleDefinition>;

export type RoleCode = keyof typeof ROLES;

export function isRoleCode(code: string): code is RoleCode {
  return Object.hasOwn(ROLES, code);
}

export function can(role: string, permission: Permission): boolean {
  return isRoleCode(role) && (ROLES[role].permissions as readonly Permission[]).includes(permission);
}

/**
 * Whether an object in `objectRegion` is inside a user's `scope`. Region codes nest by prefix
 * (county 6 digits, township 9, village 12), so a township's scope holds its villages. An object
 * with no region (a person with no village yet) belongs to the county level only.
 */
export function inScope(scope: string, objectRegion: string | null | undefined): boolean {
  if (!objectRegion) return scope.length <= 6;
  return objectRegion.startsWith(scope);
}
