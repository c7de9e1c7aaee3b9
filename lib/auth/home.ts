import { blocksUser, TWO_FACTOR_SETTINGS_PATH } from "@/lib/two-factor/requirement";

// Where `/` sends a signed-in user (docs/product.md §3.1, §3.2): an account they can open, never one that blocks them.

/** An account as `/` sees it: its id and whether it requires two-factor authentication. */
export type HomeAccount = { id: number; requireTwoFactor: boolean };

/**
 * The path `/` redirects to: `/account/new` without accounts; the remembered account (`lastAccountId`) when the user
 * can open it, else the first one they can open (in the given order); only when every account requires two-factor
 * authentication the user lacks, `/settings/two-factor?required=<id>` naming the remembered (or first) one.
 */
export function homePath(user: { lastAccountId: number | null; totpEnabledAt: Date | null }, accounts: HomeAccount[]): string {
  if (accounts.length === 0) return "/account/new";
  const usable = accounts.filter((a) => !blocksUser(a, user));
  const remembered = (list: HomeAccount[]) => list.find((a) => a.id === user.lastAccountId) ?? list[0];
  if (usable.length > 0) return `/account/${remembered(usable).id}`;
  return `${TWO_FACTOR_SETTINGS_PATH}?required=${remembered(accounts).id}`;
}
