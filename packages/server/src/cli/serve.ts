/**
 * `canbao serve` — the web application (what `npm start` runs) — and `canbao user add|list` for the
 * administrator of a real deployment (the demo database comes with its accounts).
 */
import type { Command } from 'commander';
import { isRoleCode, ROLES } from '../access/roles.ts';
import { AccessError, createUser, listUsers } from '../access/users.ts';
import { openDatabase } from '../db/open.ts';
import { startServer } from '../http/server.ts';
import { InputError, writeLines } from './io.ts';

interface ServeOptions {
  readonly port?: string;
  readonly host?: string;
  readonly demo: boolean;
  readonly build: boolean;
  readonly log?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('启动网页系统（首次启动空数据库时载入演示数据）；端口取 --port 或环境变量 PORT（默认 3000）')
    .option('--port <port>', '端口')
    .option('--host <host>', '监听地址（默认 0.0.0.0）')
    .option('--no-demo', '数据库为空时不载入演示数据')
    .option('--no-build', '不自动构建网页界面')
    .option('--log', '输出访问日志（JSON）')
    .action(async (options: ServeOptions) => {
      const port = Number(options.port ?? process.env.PORT ?? 3000);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new InputError(`端口 ${options.port ?? process.env.PORT} 无效`);
      const running = await startServer({
        port,
        host: options.host ?? '0.0.0.0',
        demo: options.demo,
        buildWeb: options.build,
        logger: options.log ?? false,
        log: (line) => process.stdout.write(`${line}\n`),
      });
      const stop = async () => {
        await running.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Keep running until a signal.
      await new Promise(() => {});
    });

  const user = program.command('user').description('用户管理（角色与管辖区划）');
  user
    .command('add')
    .description(
      `新建用户。角色：${Object.entries(ROLES)
        .map(([code, r]) => `${code}（${r.label}）`)
        .join('、')}`,
    )
    .requiredOption('--username <name>', '用户名')
    .requiredOption('--name <name>', '姓名')
    .requiredOption('--role <role>', '角色')
    .requiredOption('--region <code>', '管辖区划代码（县 6 位、乡镇 9 位、村 12 位）')
    .option('--department <code>', '部门认定人员所属部门（civil_affairs 民政 等）')
    .option('--password <password>', '初始密码（默认读取环境变量 CANBAO_PASSWORD）')
    .action(
      async (o: {
        username: string;
        name: string;
        role: string;
        region: string;
        department?: string;
        password?: string;
      }) => {
        const password = o.password ?? process.env.CANBAO_PASSWORD;
        if (!password) throw new InputError('请用 --password 或环境变量 CANBAO_PASSWORD 提供初始密码');
        if (!isRoleCode(o.role)) throw new InputError(`未知角色 ${o.role}`);
        const handle = await openDatabase();
        try {
          const created = await createUser(
            handle.db,
            {
              username: o.username,
              displayName: o.name,
              role: o.role,
              regionCode: o.region,
              department: o.department ?? null,
              password,
            },
            new Date().toISOString(),
          ).catch((error: unknown) => {
            throw error instanceof AccessError ? new InputError(error.message) : error;
          });
          writeLines([`已创建用户 ${created.username}（${ROLES[o.role].label}，${created.region_code}）`]);
        } finally {
          await handle.close();
        }
      },
    );
  user
    .command('list')
    .description('列出用户')
    .requiredOption('--county <code>', '县级区划代码')
    .action(async (o: { county: string }) => {
      const handle = await openDatabase();
      try {
        const users = await listUsers(handle.db, o.county);
        writeLines(
          users.map(
            (u) =>
              `${u.username}\t${u.display_name}\t${isRoleCode(u.role) ? ROLES[u.role].label : u.role}\t${u.region_code}${u.disabled ? '\t已停用' : ''}`,
          ),
        );
      } finally {
        await handle.close();
      }
    });
}
