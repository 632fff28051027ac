// DATA_DIR is checked at start: a service that cannot write it exits 1 with one line naming the
// path, the uid and the cause. Real child processes, real file systems (a bind mount when allowed).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { fixture } from "./helpers/child.js";

const TSX = fileURLToPath(import.meta.resolve("tsx"));
const NOBODY = 65534;
const root = mkdtempSync(join(tmpdir(), "data-dir-"));
chmodSync(root, 0o755); // so that uid nobody can reach the folders inside
const mounts: string[] = [];
afterAll(() => {
  for (const dir of mounts) spawnSync("umount", [dir]);
  rmSync(root, { recursive: true, force: true });
});

/** Starts a runService child with this DATA_DIR; NATS is unreachable, so getting past the check fails later. */
function startService(dataDir: string, uid?: number) {
  const result = spawnSync(process.execPath, ["--import", TSX, fixture("echo-service.ts")], {
    env: { PATH: process.env["PATH"], NATS_URL: "127.0.0.1:1", NATS_USER: "", NATS_PASSWORD: "", SERVICE_NAME: "data-dir-test", DATA_DIR: dataDir },
    encoding: "utf8",
    timeout: 20_000,
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  return { status: result.status, lines: result.stderr.trim().split("\n") };
}

/** runService's one error line (`error: `, the error's name when not plain Error, the message). */
function oneLineError(message: string): RegExp {
  return new RegExp(`^error: (ConfigError: )?${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

describe("a DATA_DIR that cannot be written", () => {
  it("is a regular file, or below one: exit 1, one line with path, uid and cause", () => {
    const file = join(root, "a-file");
    writeFileSync(file, "");
    const { status, lines } = startService(file);
    expect(status).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(oneLineError(`DATA_DIR ${file} is not a directory (a file is in the way) (EEXIST, uid 0): make it writable for this user or point DATA_DIR elsewhere`));
    const below = startService(join(file, "data"));
    expect(below.status).toBe(1);
    expect(below.lines).toHaveLength(1);
    expect(below.lines[0]).toMatch(oneLineError(`DATA_DIR ${file}/data is not a directory (a file is in the way) (ENOTDIR, uid 0): make it writable for this user or point DATA_DIR elsewhere`));
  });

  it("is a root-owned folder (0555) and the service runs as nobody: EACCES", () => {
    const dir = join(root, "read-only-mode");
    mkdirSync(dir, { mode: 0o555 });
    chmodSync(dir, 0o555);
    const { status, lines } = startService(dir, NOBODY);
    expect(status).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(oneLineError(`DATA_DIR ${dir} is not writable for this user (EACCES, uid ${NOBODY}): make it writable for this user or point DATA_DIR elsewhere`));
  });

  it("is on a read-only bind mount: EROFS", (ctx) => {
    const source = join(root, "bind-source");
    const target = join(root, "bind-target");
    mkdirSync(source);
    mkdirSync(target);
    const bound = spawnSync("mount", ["--bind", source, target], { encoding: "utf8" });
    if (bound.status !== 0) ctx.skip(`mount --bind needs root and a mount namespace that allows it: ${bound.stderr.trim()}`);
    mounts.unshift(target);
    const readOnly = spawnSync("mount", ["-o", "remount,bind,ro", target], { encoding: "utf8" });
    if (readOnly.status !== 0) ctx.skip(`remounting read-only failed: ${readOnly.stderr.trim()}`);
    const { status, lines } = startService(target);
    expect(status).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(oneLineError(`DATA_DIR ${target} is on a read-only file system (EROFS, uid 0): make it writable for this user or point DATA_DIR elsewhere`));
  });

  it("is on a full disk (permissions alone say writable): ENOSPC", (ctx) => {
    const disk = join(root, "full-disk");
    mkdirSync(disk);
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", disk], { encoding: "utf8" });
    if (mounted.status !== 0) ctx.skip(`a 64 KiB tmpfs needs root (mount): ${mounted.stderr.trim()}`);
    mounts.unshift(disk);
    expect(() => writeFileSync(join(disk, "filler"), Buffer.alloc(256 * 1024))).toThrow(/ENOSPC/);
    const { status, lines } = startService(disk);
    expect(status).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(oneLineError(`DATA_DIR ${disk} has no space left (ENOSPC, uid 0): make it writable for this user or point DATA_DIR elsewhere`));
  });

  it("passes when writable, and leaves no probe file behind", () => {
    const dir = join(root, "writable");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const { status, lines } = startService(dir, NOBODY);
    expect(status).toBe(1); // NATS is unreachable: the check came first and passed
    expect(lines.join("\n")).not.toMatch(/DATA_DIR/);
    expect(lines.join("\n")).toMatch(/NATS/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
