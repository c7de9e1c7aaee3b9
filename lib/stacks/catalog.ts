// The proxy stack catalog of docs/product.md §5: pure data, safe to import from client components (the wizard lists it).
// The starter files' contents are read on the server by `./starter-files`.

/** Wizard grouping of stacks (docs/product.md §3.3 step 3), in display order. */
export const STACK_CATEGORIES = [
  { id: "performance", label: "Performance" },
  { id: "security", label: "Security" },
  { id: "other", label: "Other" },
  { id: "monitor", label: "Monitor" },
] as const;

export type StackCategory = (typeof STACK_CATEGORIES)[number]["id"];

/** One module of a proxy chain as written in `section.config.json` (`{"name":"varnish","image":"varnish:7.4"}`). */
export type ProxyModule = { name: string; image: string };

/** A catalog entry: what the wizard shows and what the first commit contains. */
export type Stack = {
  id: string;
  category: StackCategory;
  label: string;
  /** One line for the wizard. */
  description: string;
  /** Modules traffic passes through, first = closest to the visitor. Empty for `empty`. */
  proxychain: readonly ProxyModule[];
  /** Repository paths of the starter files; their contents live in `lib/stacks/starters/<path>`. */
  starterFiles: readonly string[];
};

const VARNISH: ProxyModule = { name: "varnish", image: "varnish:7.4" };
const VARNISH_FILES = ["varnish/default.vcl", "varnish/proxy-features.json"] as const;

/** Every stack of docs/product.md §5, in wizard order. */
export const STACKS: readonly Stack[] = [
  {
    id: "varnish",
    category: "performance",
    label: "Varnish Cache",
    description: "Caches pages and assets at the edge, honouring your Cache-Control headers.",
    proxychain: [VARNISH],
    starterFiles: VARNISH_FILES,
  },
  {
    id: "modsecurity",
    category: "security",
    label: "ModSecurity WAF + Varnish Cache",
    description: "OWASP Core Rule Set in detection-only mode in front of Varnish Cache.",
    proxychain: [{ name: "modsecurity", image: "modsecurity:3" }, VARNISH],
    starterFiles: ["modsecurity/modsecurity.conf", ...VARNISH_FILES],
  },
  {
    id: "openresty",
    category: "other",
    label: "OpenResty (nginx + Lua)",
    description: "An nginx server block proxying to your origin, ready for your own rules and Lua code.",
    proxychain: [{ name: "openresty", image: "openresty:1.25" }],
    starterFiles: ["openresty/nginx.conf"],
  },
  {
    id: "nodejs",
    category: "other",
    label: "Node.js",
    description: "A pass-through HTTP proxy in plain Node.js to rewrite requests and responses in code.",
    proxychain: [{ name: "nodejs", image: "nodejs:20" }],
    starterFiles: ["nodejs/package.json", "nodejs/index.js"],
  },
  {
    id: "empty",
    category: "monitor",
    label: "Empty: monitor my site first",
    description: "No proxy module: traffic goes straight to your origin while you watch go-live status.",
    proxychain: [],
    starterFiles: [],
  },
];

/** The stack the wizard preselects (docs/product.md §5). */
export const DEFAULT_STACK_ID = "varnish";

/** The catalog entry for `id`, or `undefined` for an unknown id (e.g. a tampered form value). */
export function getStack(id: string): Stack | undefined {
  return STACKS.find((stack) => stack.id === id);
}
