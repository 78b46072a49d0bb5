/**
 * Canonical group codes (DOMAIN.md §4). Every policy maps its local group names onto these, and
 * department lists are imported onto them, so a code means the same thing in every county.
 */
export const GROUPS = {
  tekun: '特困人员（特困供养人员、五保）',
  orphan: '孤儿（含社会散居孤儿）',
  unsupported_child: '事实无人抚养儿童',
  dibao: '城乡低保对象',
  dibao_edge: '低保边缘家庭成员',
  dibao_edge_elderly: '低保边缘家庭老年人',
  fanpin: '返贫致贫人口',
  jiance: '防止返贫监测对象（监测人口）',
  tuopin: '脱贫人口（脱贫享受政策人员）',
  jisheng_special: '计划生育特殊家庭（计生特扶）',
  dunv: '农村独女户',
  shuangnv: '农村双女户',
  jieyu: '节育并发症人员',
  youfu: '重点优抚对象',
  old_armed_police: '老武警（享受定补）',
  village_cadre: '村“两委”干部',
  disabled_severe: '一级、二级残疾人',
  student: '学生（中小学生、在园幼儿、中专学生、大学生）',
  migrant_worker: '外出务工人员',
  discharged_soldier: '当年退出现役的军人（含随军未就业配偶）',
} as const;

export type GroupCode = keyof typeof GROUPS;

export const GROUP_CODES = Object.keys(GROUPS) as GroupCode[];

export function isGroupCode(code: string): code is GroupCode {
  return Object.hasOwn(GROUPS, code);
}

export function groupLabel(code: GroupCode): string {
  return GROUPS[code];
}

/** Who pays a subsidy. Funders are accounts in the books, so the list is closed. */
export const FUNDERS = {
  medical_assistance: '医疗救助资金',
  finance: '财政',
  civil_affairs: '民政部门',
  rural_revitalisation: '乡村振兴部门',
  health: '卫生健康部门',
  veterans: '退役军人事务部门',
  disabled_federation: '残联',
} as const;

export type FunderCode = keyof typeof FUNDERS;

/**
 * How departments' lists name the groups (人员类别). Matched after removing spaces and
 * punctuation; the canonical labels above match too.
 */
const GROUP_SYNONYMS: Readonly<Record<string, GroupCode>> = {
  特困: 'tekun',
  特困人员: 'tekun',
  特困供养人员: 'tekun',
  五保: 'tekun',
  五保户: 'tekun',
  孤儿: 'orphan',
  社会散居孤儿: 'orphan',
  事实无人抚养儿童: 'unsupported_child',
  低保: 'dibao',
  低保对象: 'dibao',
  城乡低保对象: 'dibao',
  农村低保: 'dibao',
  城市低保: 'dibao',
  低保边缘: 'dibao_edge',
  低保边缘家庭成员: 'dibao_edge',
  低保边缘家庭老年人: 'dibao_edge_elderly',
  返贫致贫: 'fanpin',
  返贫致贫人口: 'fanpin',
  监测对象: 'jiance',
  监测人口: 'jiance',
  防止返贫监测对象: 'jiance',
  脱贫不稳定户: 'jiance',
  边缘易致贫户: 'jiance',
  突发严重困难户: 'jiance',
  脱贫人口: 'tuopin',
  脱贫享受政策人员: 'tuopin',
  稳定脱贫人口: 'tuopin',
  计生特扶: 'jisheng_special',
  计划生育特殊家庭: 'jisheng_special',
  计划生育特殊家庭父母: 'jisheng_special',
  独女户: 'dunv',
  农村独女户: 'dunv',
  双女户: 'shuangnv',
  农村双女户: 'shuangnv',
  节育并发症: 'jieyu',
  节育并发症人员: 'jieyu',
  重点优抚对象: 'youfu',
  优抚对象: 'youfu',
  老武警: 'old_armed_police',
  村两委干部: 'village_cadre',
  村干部: 'village_cadre',
  一级残疾人: 'disabled_severe',
  二级残疾人: 'disabled_severe',
  一二级残疾人: 'disabled_severe',
  一级二级残疾人: 'disabled_severe',
  重度残疾人: 'disabled_severe',
  学生: 'student',
  在校学生: 'student',
  在园幼儿: 'student',
  外出务工人员: 'migrant_worker',
  农村外出务工人员: 'migrant_worker',
  退役军人: 'discharged_soldier',
  当年退役军人: 'discharged_soldier',
};

const squashLabel = (label: string) => label.replace(/[\s、，,（）()“”"'·.-]/g, '');

const LABEL_INDEX: ReadonlyMap<string, GroupCode> = new Map([
  ...Object.entries(GROUP_SYNONYMS).map(([label, code]) => [squashLabel(label), code] as const),
  ...GROUP_CODES.map((code) => [squashLabel(GROUPS[code]), code] as const),
  ...GROUP_CODES.map((code) => [code, code] as const),
]);

/** The canonical code for a group as a list names it (低保对象 → dibao), or null. */
export function groupFromLabel(label: string): GroupCode | null {
  return LABEL_INDEX.get(squashLabel(label)) ?? null;
}

/** Certifying departments and the groups each may certify (DOMAIN.md §1). */
export const DEPARTMENTS = {
  civil_affairs: {
    label: '民政',
    groups: ['tekun', 'orphan', 'unsupported_child', 'dibao', 'dibao_edge', 'dibao_edge_elderly'],
  },
  rural_revitalisation: { label: '乡村振兴', groups: ['fanpin', 'jiance', 'tuopin'] },
  health: { label: '卫健', groups: ['jisheng_special', 'dunv', 'shuangnv', 'jieyu'] },
  veterans: { label: '退役军人', groups: ['youfu', 'discharged_soldier', 'old_armed_police'] },
  disabled_federation: { label: '残联', groups: ['disabled_severe'] },
  education: { label: '教育', groups: ['student'] },
  organisation: { label: '组织部', groups: ['village_cadre'] },
  human_resources: { label: '人社', groups: ['migrant_worker'] },
} as const satisfies Record<string, { label: string; groups: readonly GroupCode[] }>;

export type DepartmentCode = keyof typeof DEPARTMENTS;

export function isDepartmentCode(code: string): code is DepartmentCode {
  return Object.hasOwn(DEPARTMENTS, code);
}

/** A department given as its code (civil_affairs) or Chinese name (民政, 民政局). */
export function departmentFromLabel(label: string): DepartmentCode | null {
  if (isDepartmentCode(label)) return label;
  const squashed = squashLabel(label).replace(/(局|部门|委|委员会|中心|事务局)$/, '');
  for (const [code, d] of Object.entries(DEPARTMENTS)) {
    if (squashed === d.label || squashed.startsWith(d.label)) return code as DepartmentCode;
  }
  return null;
}
