import path from "node:path";
import type { Refusal } from "./types";

// The modsecurity driver's policy (docs/product.md §8 "modsecurity"): the tenant's `modsecurity/modsecurity.conf`
// through a directive allow-list, the old starter's CRS include lines mapped to what Debian ships
// (modsecurity-crs: /etc/modsecurity/crs and /usr/share/modsecurity-crs/rules), file folders forced into the
// environment's folder. Lines keep their numbers (dropped lines become comments), so errors point at the tenant's line.

/** The tenant's file. */
export const MODSECURITY_FILE = "modsecurity/modsecurity.conf";

/** Debian's CRS (package modsecurity-crs). */
export const DEBIAN_CRS = { setup: "/etc/modsecurity/crs", rules: "/usr/share/modsecurity-crs/rules" } as const;

const ALLOWED = new Set(
  [
    "SecRuleEngine",
    "SecRequestBodyAccess",
    "SecRequestBodyLimit",
    "SecRequestBodyNoFilesLimit",
    "SecRequestBodyLimitAction",
    "SecRequestBodyInMemoryLimit",
    "SecRequestBodyJsonDepthLimit",
    "SecResponseBodyAccess",
    "SecResponseBodyMimeType",
    "SecResponseBodyMimeTypesClear",
    "SecResponseBodyLimit",
    "SecResponseBodyLimitAction",
    "SecRule",
    "SecAction",
    "SecDefaultAction",
    "SecMarker",
    "SecRuleRemoveById",
    "SecRuleRemoveByMsg",
    "SecRuleRemoveByTag",
    "SecRuleUpdateActionById",
    "SecRuleUpdateTargetById",
    "SecRuleUpdateTargetByMsg",
    "SecRuleUpdateTargetByTag",
    "SecPcreMatchLimit",
    "SecPcreMatchLimitRecursion",
    "SecArgumentSeparator",
    "SecArgumentsLimit",
    "SecCookieFormat",
    "SecComponentSignature",
    "SecCollectionTimeout",
    "SecUploadKeepFiles",
    "SecUploadFileLimit",
    "SecUploadFileMode",
    "SecDebugLogLevel",
    "SecUnicodeMapFile",
    "SecStatusEngine",
    "SecWebAppId",
    "SecHttpBlKey",
    "SecXmlExternalEntity",
    "Include",
    "SecTmpDir",
    "SecDataDir",
    "SecUploadDir",
    "SecAuditEngine",
    "SecAuditLogParts",
    "SecAuditLogType",
    "SecAuditLogFormat",
    "SecAuditLogRelevantStatus",
    "SecAuditLog",
  ].map((d) => d.toLowerCase()),
);

const OLD_CRS: [RegExp, string][] = [
  [/^\/etc\/modsecurity\.d\/owasp-crs\/crs-setup\.conf$/, `${DEBIAN_CRS.setup}/crs-setup.conf`],
  [/^\/etc\/modsecurity\.d\/owasp-crs\/rules\/([A-Za-z0-9._*-]+\.conf)$/, `${DEBIAN_CRS.rules}/$1`],
];

function crsPath(raw: string): string | null {
  const p = raw.replace(/^["']|["']$/g, "");
  for (const [re, to] of OLD_CRS) if (re.test(p)) return p.replace(re, to);
  if (/^\/etc\/modsecurity\/crs\/[A-Za-z0-9._-]+\.conf$/.test(p)) return p;
  if (/^\/usr\/share\/modsecurity-crs\/rules\/[A-Za-z0-9._*-]+\.conf$/.test(p) && !p.includes("..")) return p;
  return null;
}

/** Splits a directive line into words (double/single quotes kept together, quotes removed). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/**
 * Applies the policy to the tenant's ModSecurity text; `work` is the environment module's folder where SecTmpDir,
 * SecDataDir and SecUploadDir are forced. Returns the text to give nginx's `modsecurity_rules_file` (the audit log
 * is off: the platform appends `SecAuditEngine Off`) or a policy refusal naming the line.
 */
export function renderModsecurityRules(text: string, work: string): { ok: true; rules: string } | Refusal {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  const refuse = (n: number, message: string): Refusal => ({
    ok: false,
    tool: "policy",
    message: `${MODSECURITY_FILE}: ${message} (line ${n})`,
  });
  for (let n = 0; n < lines.length; n++) {
    // A directive may continue over lines ending in "\": judge it whole, keep the line count.
    const first = n;
    let logical = lines[n];
    while (/\\\s*$/.test(logical) && n + 1 < lines.length) logical = logical.replace(/\\\s*$/, " ") + lines[++n];
    const span = n - first + 1;
    const keep = lines.slice(first, n + 1);
    const trimmed = logical.trim();
    if (!trimmed || trimmed.startsWith("#")) {
      out.push(...keep);
      continue;
    }
    const [directive, ...args] = words(trimmed);
    const name = directive.toLowerCase();
    const line = first + 1;
    const drop = (why: string) => out.push(`# dropped by the edge platform: ${why}`, ...Array(span - 1).fill("#"));
    if (!ALLOWED.has(name)) {
      if (/^secrulescript$|^secremoterules|^secauditlog/.test(name)) return refuse(line, `${directive} is not allowed on the edge`);
      return refuse(line, `${directive} is not an allowed directive on the edge`);
    }
    if (name === "include") {
      const mapped = args.length === 1 ? crsPath(args[0]) : null;
      if (!mapped)
        return refuse(
          line,
          `Include is allowed only for Debian's OWASP CRS (${DEBIAN_CRS.setup}/crs-setup.conf, ${DEBIAN_CRS.rules}/*.conf)`,
        );
      out.push(`Include ${mapped}`, ...Array(span - 1).fill(""));
      continue;
    }
    if (name === "secauditlog") {
      if (args[0] === "/dev/stdout") {
        drop("the audit log is off on the edge");
        continue;
      }
      return refuse(line, "SecAuditLog is not allowed on the edge (the audit log is off)");
    }
    if (name === "secauditlogtype" && (args[0] ?? "").toLowerCase() !== "serial") return refuse(line, "SecAuditLogType must be Serial");
    if (name === "secauditengine" || name.startsWith("secauditlog")) {
      drop("the audit log is off on the edge");
      continue;
    }
    if (name === "sectmpdir" || name === "secdatadir" || name === "secuploaddir") {
      out.push(`${directive} ${path.join(work, name.slice(3, -3))}`, ...Array(span - 1).fill(""));
      continue;
    }
    if (name === "secunicodemapfile" && !/^\/usr\/share\/modsecurity-crs\//.test(args[0] ?? "")) {
      return refuse(line, "SecUnicodeMapFile must name a file of Debian's CRS");
    }
    const rest = args.join(" ");
    if (/(^|[\s,"'])exec\s*:/i.test(rest)) return refuse(line, `the "exec:" action is not allowed on the edge`);
    if (/@inspectFile\b/i.test(rest)) return refuse(line, `the @inspectFile operator is not allowed on the edge`);
    // Operators that open a file named in the rule (a file-existence oracle on the console and the node).
    const reads = /@(validateDTD|validateSchema)\b/i.exec(rest);
    if (reads) return refuse(line, `the @${reads[1]} operator reads files and is not allowed on the edge`);
    const fromFile = /@(pmFromFile|pmf|ipMatchFromFile|ipMatchF)\s+(\S+)/i.exec(rest);
    if (fromFile && !(fromFile[2].startsWith(`${DEBIAN_CRS.rules}/`) && !fromFile[2].includes(".."))) {
      return refuse(line, `@${fromFile[1]} may only read files of Debian's CRS (${DEBIAN_CRS.rules})`);
    }
    out.push(...keep);
  }
  out.push("", "# Edge platform (docs/product.md §8): no audit log.", "SecAuditEngine Off", "");
  return { ok: true, rules: out.join("\n") };
}
