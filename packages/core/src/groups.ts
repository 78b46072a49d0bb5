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
