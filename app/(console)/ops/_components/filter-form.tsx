import Link from "next/link";
import { Field } from "@/components/ui/field";
import { SelectField } from "@/components/ui/select-field";
import { statusLabel } from "@/components/ui/status-badge";
import { DOMAIN_STATUSES } from "@/db/schema";
import type { OpsFilterErrors } from "@/lib/ops/filters";

const STATUS_OPTIONS = [
  { value: "", label: "Any status" },
  ...DOMAIN_STATUSES.map((s) => ({ value: s, label: statusLabel(s) })),
  { value: "flagged", label: "⚑ Flagged" },
];

/**
 * The `/ops` filters as a plain GET form (works without JavaScript; the URL holds the filter): status, account id
 * (a text field, so it works with any number of accounts) and the start of a hostname.
 */
export function FilterForm({
  values,
  errors,
  accountName,
}: {
  values: { status: string; account: string; q: string };
  errors: OpsFilterErrors;
  accountName: string | null;
}) {
  const filtered = values.status || values.account || values.q;
  return (
    <form
      method="get"
      action="/ops"
      role="search"
      aria-label="Filter domains"
      className="grid gap-3 rounded-xl bg-white dark:bg-slate-900 p-4 ring-1 ring-slate-200 dark:ring-slate-700 sm:grid-cols-[1fr_10rem_12rem_auto] sm:items-start"
    >
      <Field
        label="Hostname starts with"
        name="q"
        id="ops-q"
        type="search"
        defaultValue={values.q}
        placeholder="shop.example.com"
        autoComplete="off"
        spellCheck={false}
        error={errors.q}
      />
      <SelectField label="Status" name="status" id="ops-status" options={STATUS_OPTIONS} defaultValue={values.status} />
      <Field
        label="Account id"
        name="account"
        id="ops-account"
        inputMode="numeric"
        defaultValue={values.account}
        placeholder="e.g. 42"
        autoComplete="off"
        error={errors.account}
        hint={accountName !== null ? accountName || "No account with this id" : undefined}
      />
      <div className="flex items-center gap-3 sm:pt-6">
        <button
          type="submit"
          className="rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
        >
          Filter
        </button>
        {filtered ? (
          <Link href="/ops" className="text-sm text-indigo-700 dark:text-indigo-300 hover:underline">
            Clear
          </Link>
        ) : null}
      </div>
    </form>
  );
}
