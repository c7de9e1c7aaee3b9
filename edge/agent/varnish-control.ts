import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { haveTool, inspectCompiledVcl, labelFor, renderVarnishRouter, trimVccMessage, VCL_FILE, type HopAddress } from "../modules";
import { renderVarnishBoot } from "../modules/varnish";
import { ApplyError, groupId, run, userIds } from "./common";
import { waitForSocket, type Supervisor } from "./processes";

// The edge agent's control of the one shared varnishd (docs/edge.md "Applying, on the node", "Files and users";
// docs/product.md §8 "varnish"): start or adopt it, its admin CLI, each tenant VCL compiled once (vcl.load, then the
// kept C inspected), the labels and the router VCL, and what it leaves in its work folder.

/** varnishd's `vsl_mask`: its default plus the per-request records nothing on the node reads. */
const VSL_MASK = [
  "-Debug,-ObjProtocol,-ObjStatus,-ObjReason,-ObjHeader,-VCL_trace,-ExpKill,-WorkThread,-Hash,-VfpAcct",
  "-H2RxHdr,-H2RxBody,-H2TxHdr,-H2TxBody,-VdpAcct",
  "-Timestamp,-ReqHeader,-RespHeader,-BereqHeader,-BerespHeader,-ReqUnset,-RespUnset,-BereqUnset,-BerespUnset",
  "-VCL_call,-VCL_return",
].join(",");

/** varnishd's `ban_lurker_age` on the node (seconds; docs/edge.md "Purge"). */
export const BAN_LURKER_AGE_SECONDS = 2;

/** One active environment as varnishd knows it: its key, and its loaded VCL and file (null without varnish). */
export type VarnishEnvironment = { key: string; vclName: string | null; vclPath: string | null };

/** What VarnishControl needs from the agent. Folders are absolute; `serialized` runs after the apply round in progress. */
export type VarnishHost = {
  dirs: { priv: string; vcl: string; varnish: string; sock: string };
  /** varnishd's TCP listen address (modules before varnish, and HAProxy when the socket is missing). */
  address: HopAddress;
  /** Loopback port of varnishd's admin CLI. */
  adminPort: number;
  isRoot: boolean;
  supervisor: Supervisor;
  log: (line: string) => void;
  /** The environments now active. */
  environments: () => VarnishEnvironment[];
  hopToken: (key: string) => string;
  serialized: (fn: () => Promise<void>) => Promise<void>;
};

/** The shared varnishd of one node (see the file comment). Methods that talk to varnishd throw ApplyError (tool varnishd). */
export class VarnishControl {
  private socketPath: string | null = null;
  private routerCounter = 0;
  private routerName: string | null = null;
  private routerLabels = "";

  constructor(private readonly h: VarnishHost) {}

  /** varnishd's UNIX socket when it listens there (HAProxy's way into chains that start with varnish), else null. */
  get socket(): string | null {
    return this.socketPath;
  }

  /** One varnishadm command (`args`, e.g. ["vcl.list"]); resolves to its output. Throws ApplyError (tool varnishd). */
  async adm(args: string[]): Promise<string> {
    const r = await run("varnishadm", [
      "-T",
      `127.0.0.1:${this.h.adminPort}`,
      "-S",
      path.join(this.h.dirs.priv, "varnish.secret"),
      ...args,
    ]);
    if (r.code !== 0) throw new ApplyError("varnishd", r.out.split("\n").slice(0, 12).join("\n") || `varnishadm ${args[0]} failed`);
    return r.out;
  }

  /**
   * Adds one ban (docs/edge.md "Purge"): `expression` is a whole ban as the console wrote it, with quoted values
   * (varnishadm passes its words on unquoted, and varnishd's CLI splits them). Throws ApplyError (tool varnishd).
   */
  async ban(expression: string): Promise<void> {
    await this.adm(["ban", expression]);
  }

  /**
   * `vcl.load` (cold) of a tenant's wrapped VCL `<name>.vcl` from the vcl folder: varnishd's compiler is the check
   * (docs/edge.md "Applying, on the node" step 3), its message trimmed as the console's `varnishd -C` check trims it,
   * then the C it compiled (kept by `debug=+vcl_keep`) is inspected as the console inspects it. Throws ApplyError
   * (tool varnishd); the caller discards the VCL.
   */
  async loadTenantVcl(name: string, next: HopAddress): Promise<void> {
    const r = await run("varnishadm", [
      "-T",
      `127.0.0.1:${this.h.adminPort}`,
      "-S",
      path.join(this.h.dirs.priv, "varnish.secret"),
      "vcl.load",
      name,
      `${name}.vcl`,
      "cold",
    ]);
    if (r.code !== 0) {
      if (!/VCC-compiler|VCL compilation failed/.test(r.out)) throw new ApplyError("varnishd", r.out.split("\n").slice(0, 12).join("\n"));
      throw new ApplyError("varnishd", `${VCL_FILE}: varnishd refused it: ${trimVccMessage(r.out)}`);
    }
    const kept = fs.readdirSync(this.h.dirs.varnish).filter((d) => d.startsWith(`vcl_${name}.`));
    const source = kept.map((d) => path.join(this.h.dirs.varnish, d, "vgc.c")).find((f) => fs.existsSync(f));
    if (!source) throw new ApplyError("varnishd", "the C that varnishd compiled was not kept (debug=+vcl_keep is off?)");
    const problem = inspectCompiledVcl(fs.readFileSync(source, "utf8"), next);
    fs.rmSync(source, { force: true });
    if (problem) throw new ApplyError("varnishd", `${VCL_FILE}: refused: as compiled by varnishd, it ${problem}`);
  }

  /**
   * Parameters the agent sets on its varnishd (running or adopted): `debug=+vcl_keep` so that loadTenantVcl reads
   * the compiled C, and gcc at -O0 without -g in `cc_command`: a third of the compile time of Debian's -g -O2, and
   * the same CPU per cache hit (measured: the per-request VCL code is calls into varnishd). Unknown defaults are
   * left alone.
   */
  private async tune(): Promise<void> {
    await this.adm(["param.set", "debug", "+vcl_keep"]);
    // docs/edge.md "Purge": purges arrive one at a time (rate-limited per environment), so the ban lurker need not
    // hold off for bursts (default 60 s); a ban it has tested against every object drops out of ban.list sooner.
    await this.adm(["param.set", "ban_lurker_age", String(BAN_LURKER_AGE_SECONDS)]).catch(() => {});
    const shown = await this.adm(["param.show", "cc_command"]).catch(() => "");
    const value = /Value is: (.*?)(?: \(default\))?$/m.exec(shown)?.[1];
    if (!value || !/ -O2 /.test(value)) return;
    const tuned = value.replace(" -g ", " ").replace(" -O2 ", " -O0 ");
    await this.adm(["param.set", "cc_command", `"${tuned.replace(/[\\"]/g, "\\$&")}"`]).catch((e: Error) =>
      this.h.log(`varnishd cc_command left as it is: ${e.message}`),
    );
  }

  /**
   * Removes what `debug=+vcl_keep` leaves in varnishd's work folder: the folders of VCLs varnishd no longer has
   * (discarded or refused) and the C sources of those it has. Runs between apply rounds (never beside a vcl.load).
   */
  async sweep(): Promise<void> {
    const list = await this.adm(["vcl.list"]).catch(() => null);
    if (list === null) return;
    const names = new Set(
      list
        .split("\n")
        .map((l) => l.trim().split(/\s+/)[4])
        .filter(Boolean),
    );
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(this.h.dirs.varnish);
    } catch {
      return;
    }
    for (const d of entries) {
      const m = /^vcl_(.+)\.\d+\.\d+$/.exec(d);
      if (!m) continue;
      const dir = path.join(this.h.dirs.varnish, d);
      if (names.has(m[1])) fs.rmSync(path.join(dir, "vgc.c"), { force: true });
      else fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Starts varnishd (or adopts the running one) and loads every active environment's VCL, labels and the router. */
  async start(): Promise<void> {
    if (!haveTool("varnishd")) {
      this.h.log("varnishd is not installed: chains with varnish will be refused");
      return;
    }
    const secret = path.join(this.h.dirs.priv, "varnish.secret");
    if (!fs.existsSync(secret)) fs.writeFileSync(secret, randomBytes(32).toString("hex"), { mode: 0o600 });
    const boot = path.join(this.h.dirs.vcl, "boot.vcl");
    // 503 chain-unavailable until the labels and the router are loaded (a restart never answers 404).
    fs.writeFileSync(boot, renderVarnishBoot(), { mode: 0o640 });
    const gid = this.h.isRoot ? groupId("varnish") : null;
    if (gid !== null) fs.chownSync(boot, 0, gid);
    const socket = path.join(this.h.dirs.sock, "varnish.sock");
    const proxyGroup = this.h.isRoot && groupId("edge-proxy") !== null ? ",group=edge-proxy" : "";
    const args = [
      "-F",
      "-a",
      `${this.h.address.host}:${this.h.address.port}`,
      // HAProxy's front reaches a chain that starts with varnish over this socket (cheaper than loopback TCP);
      // modules before varnish, and the health request of other chains, use the TCP address.
      "-a",
      `${socket},mode=660${proxyGroup}`,
      "-T",
      `127.0.0.1:${this.h.adminPort}`,
      "-S",
      secret,
      "-n",
      this.h.dirs.varnish,
      "-f",
      boot,
      "-p",
      "vcc_allow_inline_c=off",
      "-p",
      "vcc_unsafe_path=off",
      // With vcc_unsafe_path=off VCL files are named relative to vcl_path (no "/"): the agent's vcl folder.
      "-p",
      `vcl_path=${this.h.dirs.vcl}`,
      "-s",
      "malloc,256m",
      // The shared memory log without per-request timestamps and headers: nothing on the node reads them (traffic
      // figures come from HAProxy, docs/product.md §10), and formatting them is ~10 % of a cache hit's CPU.
      "-p",
      `vsl_mask=${VSL_MASK}`,
      ...(this.h.isRoot && userIds("varnish") && gid !== null ? ["-j", "unix,user=varnish,ccgroup=varnish"] : []),
    ];
    const adopted = this.h.supervisor.ensure({
      name: "varnishd",
      command: "varnishd",
      args,
      onRestart: () => this.h.serialized(() => this.reloadAll()),
    });
    if (!(await this.waitReady())) throw new Error("varnishd did not start (see run/varnishd.log)");
    // An adopted varnishd from an agent before the socket: HAProxy keeps using its TCP address.
    this.socketPath = (await waitForSocket(socket, 2000)) ? socket : null;
    await this.tune();
    if (adopted) {
      const list = await this.adm(["vcl.list"]).catch(() => "");
      const missing = this.h.environments().some((a) => a.vclName && !list.includes(a.vclName));
      if (!missing) {
        const m = /active\s+\S+\s+\S+\s+\S+\s+(router_\d+)/.exec(list);
        this.routerName = m?.[1] ?? null;
        this.routerCounter = Number(this.routerName?.split("_")[1] ?? 0);
        this.routerLabels = this.routerName ? this.labelKey() : "";
        this.h.log("adopted the running varnishd");
        return;
      }
    }
    await this.reloadAll();
  }

  private async waitReady(): Promise<boolean> {
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      if (
        (await run("varnishadm", ["-T", `127.0.0.1:${this.h.adminPort}`, "-S", path.join(this.h.dirs.priv, "varnish.secret"), "ping"]))
          .code === 0
      )
        return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  }

  /** After a (re)start of varnishd: every active environment's VCL and label again, then the router. */
  private async reloadAll(): Promise<void> {
    if (!(await this.waitReady())) throw new Error("varnishd does not answer on its admin port");
    await this.tune();
    this.routerName = null;
    this.routerLabels = "";
    for (const a of this.h.environments()) {
      if (!a.vclName) continue;
      if (!a.vclPath) continue;
      await this.adm(["vcl.load", a.vclName, path.basename(a.vclPath)]);
      await this.adm(["vcl.label", labelFor(a.key), a.vclName]);
    }
    await this.syncRouter();
    await this.sweep();
    this.h.log("varnishd VCLs loaded");
  }

  /** Writes a VCL file into the vcl_path folder, readable by varnishd's group only. Returns its path. */
  writeVcl(name: string, text: string): string {
    const file = path.join(this.h.dirs.vcl, name);
    fs.writeFileSync(file, text, { mode: 0o640 });
    const gid = this.h.isRoot ? groupId("varnish") : null;
    if (gid !== null) fs.chownSync(file, 0, gid);
    return file;
  }

  private labelKey(): string {
    return this.h
      .environments()
      .filter((a) => a.vclName)
      .map((a) => `${a.key}:${this.h.hopToken(a.key)}`)
      .sort()
      .join(",");
  }

  /** Loads and uses a new router VCL when the set of labels changed; discards the old router. */
  async syncRouter(): Promise<void> {
    if (!haveTool("varnishd")) return;
    const key = this.labelKey();
    if (key === this.routerLabels && this.routerName) return;
    const envs = this.h
      .environments()
      .filter((a) => a.vclName)
      .map((a) => ({ key: a.key, hopToken: this.h.hopToken(a.key) }));
    const name = `router_${++this.routerCounter}`;
    this.writeVcl(`${name}.vcl`, renderVarnishRouter(envs));
    await this.adm(["vcl.load", name, `${name}.vcl`]);
    await this.adm(["vcl.use", name]);
    const old = this.routerName;
    this.routerName = name;
    this.routerLabels = key;
    if (old) await this.adm(["vcl.discard", old]).catch(() => {});
    await this.adm(["vcl.discard", "boot"]).catch(() => {});
    for (const f of fs.readdirSync(this.h.dirs.vcl))
      if (f.startsWith("router_") && f !== `${name}.vcl`) fs.rmSync(path.join(this.h.dirs.vcl, f), { force: true });
  }
}
