"use client";

import { useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";
import clsx from "@/components/ui/clsx";
import {
  checkAccountStepAction,
  checkHostnameStepAction,
  checkOriginStepAction,
  createApplicationAction,
  type AccountChoice,
  type HostnameStep,
  type OriginInput,
  type OriginStep,
} from "./actions";

export type StackOption = { id: string; label: string; category: string; description: string; chain: string[] };
type AccountOption = { id: number; name: string; role: string; canCreate: boolean };

const STEPS = ["Hostname", "Origin", "Proxy stack", "Account", "Review"] as const;

/** The wizard's fields as the FormData its actions read. */
function formOf(fields: Record<string, string | number>): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.set(key, String(value));
  return form;
}

/** The account choice as form fields. */
function accountFields(account: AccountChoice): Record<string, string | number> {
  return account.mode === "existing"
    ? { accountMode: "existing", accountId: account.accountId }
    : { accountMode: "new", newAccountName: account.name };
}
const CATEGORY_LABELS: Record<string, string> = { performance: "Performance", security: "Security", other: "Other", monitor: "Monitor" };

/** The five-step "Create application" wizard (docs/product.md §3.3); every step is re-checked on the server at the end. */
export function ApplicationWizard(props: {
  accounts: AccountOption[];
  defaultAccountId: number | null;
  stacks: StackOption[];
  defaultStackId: string;
}) {
  const [step, setStep] = useState(1);
  const [pending, startTransition] = useTransition();
  const [hostnameInput, setHostnameInput] = useState("");
  const [hostname, setHostname] = useState<Extract<HostnameStep, { ok: true }> | null>(null);
  const [hostnameError, setHostnameError] = useState<string | undefined>();
  const [origin, setOrigin] = useState<OriginInput>({ address: "", protocol: "https", port: "", hostHeader: "" });
  const [originErrors, setOriginErrors] = useState<Extract<OriginStep, { ok: false }>["fieldErrors"]>({});
  const [checkedOrigin, setCheckedOrigin] = useState<Extract<OriginStep, { ok: true }>["origin"] | null>(null);
  const [stackId, setStackId] = useState(props.defaultStackId);
  const creatable = props.accounts.filter((a) => a.canCreate);
  const [account, setAccount] = useState<AccountChoice>(
    creatable.length > 0
      ? { mode: "existing", accountId: creatable.find((a) => a.id === props.defaultAccountId)?.id ?? creatable[0].id }
      : { mode: "new", name: "" },
  );
  const [accountError, setAccountError] = useState<{ field: string; error: string } | null>(null);
  const [formError, setFormError] = useState<string | undefined>();

  const submitHostname = () =>
    startTransition(async () => {
      const result = await checkHostnameStepAction({ ok: false, error: "" }, formOf({ hostname: hostnameInput }));
      if (!result.ok) {
        setHostnameError(result.error);
        return;
      }
      setHostnameError(undefined);
      // A new hostname brings its own prefill: never keep an origin found for another hostname.
      if (result.hostname !== hostname?.hostname) setOrigin((o) => ({ ...o, address: result.suggestedOrigins[0] ?? "" }));
      setHostname(result);
      setStep(2);
    });

  const submitOrigin = () =>
    startTransition(async () => {
      const result = await checkOriginStepAction({ ok: false, fieldErrors: {} }, formOf(origin));
      if (!result.ok) {
        setOriginErrors(result.fieldErrors);
        return;
      }
      setOriginErrors({});
      setCheckedOrigin(result.origin);
      setStep(3);
    });

  const submitAccount = () =>
    startTransition(async () => {
      const result = await checkAccountStepAction({ ok: true }, formOf(accountFields(account)));
      if (!result.ok) {
        setAccountError({ field: result.field, error: result.error });
        return;
      }
      setAccountError(null);
      setStep(5);
    });

  const create = () =>
    startTransition(async () => {
      setFormError(undefined);
      const result = await createApplicationAction(
        { ok: false, step: 5, error: "" },
        formOf({ hostname: hostname?.hostname ?? hostnameInput, ...origin, stackId, ...accountFields(account) }),
      );
      // On success the action redirects; a returned value is a refusal: go back to the step it concerns.
      if (result && !result.ok) {
        setStep(result.step);
        if (result.step === 1) setHostnameError(result.error);
        else if (result.step === 2) setOriginErrors({ [result.field ?? "address"]: result.error });
        else if (result.step === 4) setAccountError({ field: result.field ?? "accountId", error: result.error });
        else setFormError(result.error);
      }
    });

  const stack = props.stacks.find((s) => s.id === stackId);
  const chosenAccount =
    account.mode === "existing" ? props.accounts.find((a) => a.id === account.accountId)?.name : `${account.name} (new)`;

  return (
    <div className="grid gap-8 md:grid-cols-[12rem_1fr]">
      <ol className="flex gap-2 overflow-x-auto md:flex-col" aria-label="Steps">
        {STEPS.map((label, i) => (
          <li
            key={label}
            aria-current={step === i + 1 ? "step" : undefined}
            className={clsx(
              "flex items-center gap-2 whitespace-nowrap rounded-md px-2 py-1.5 text-sm",
              step === i + 1
                ? "bg-indigo-50 dark:bg-indigo-950/40 font-semibold text-indigo-800 dark:text-indigo-200"
                : step > i + 1
                  ? "text-slate-700 dark:text-slate-300"
                  : "text-slate-500 dark:text-slate-400",
            )}
          >
            <span
              className={clsx(
                "flex h-6 w-6 items-center justify-center rounded-full text-xs",
                step > i + 1 ? "bg-indigo-600 text-white" : "ring-1 ring-current",
              )}
            >
              {step > i + 1 ? "✓" : i + 1}
            </span>
            {label}
          </li>
        ))}
      </ol>

      <section className="min-w-0 rounded-xl bg-white dark:bg-slate-900 p-6 shadow-sm ring-1 ring-slate-200 dark:ring-slate-700">
        {step === 1 && (
          <form
            className="space-y-4"
            onSubmit={(e) => {
              e.preventDefault();
              submitHostname();
            }}
            noValidate
          >
            <h2 className="text-lg font-semibold">Which website do you want to put behind the edge?</h2>
            <Field
              label="Hostname"
              name="hostname"
              placeholder="www.example.com"
              autoFocus
              autoComplete="off"
              spellCheck={false}
              value={hostnameInput}
              onChange={(e) => setHostnameInput(e.target.value)}
              error={hostnameError}
              hint="The production hostname of your website. It becomes the Production environment's first domain."
            />
            <Button type="submit" disabled={pending}>
              {pending ? "Checking…" : "Continue"}
            </Button>
          </form>
        )}

        {step === 2 && hostname && (
          <form
            className="space-y-4"
            onSubmit={(e) => {
              e.preventDefault();
              submitOrigin();
            }}
            noValidate
          >
            <HostnameSummary hostname={hostname} />
            <h2 className="text-lg font-semibold">Where does the edge fetch your website from?</h2>
            <p className="break-words text-sm text-slate-600 dark:text-slate-400 [overflow-wrap:anywhere]" data-testid="origin-hint">
              {hostname.originHint}
            </p>
            <Field
              label="Origin address"
              name="address"
              placeholder="203.0.113.7 or origin.example.com"
              autoComplete="off"
              spellCheck={false}
              value={origin.address}
              onChange={(e) => setOrigin({ ...origin, address: e.target.value })}
              error={originErrors.address}
              hint="The IP address or hostname of your own server (the origin)."
            />
            <div className="grid gap-4 sm:grid-cols-2">
              <div className="space-y-1">
                <label htmlFor="field-protocol" className="block text-sm font-medium text-slate-800 dark:text-slate-200">
                  Protocol
                </label>
                <select
                  id="field-protocol"
                  value={origin.protocol}
                  onChange={(e) => setOrigin({ ...origin, protocol: e.target.value })}
                  className="block w-full rounded-md border-0 bg-white dark:bg-slate-900 px-3 py-2 text-sm shadow-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600"
                >
                  <option value="https">https</option>
                  <option value="http">http</option>
                </select>
                {originErrors.protocol ? <p className="text-sm text-red-600 dark:text-red-400">{originErrors.protocol}</p> : null}
              </div>
              <Field
                label="Port"
                name="port"
                inputMode="numeric"
                placeholder={origin.protocol === "http" ? "80" : "443"}
                value={origin.port}
                onChange={(e) => setOrigin({ ...origin, port: e.target.value })}
                error={originErrors.port}
              />
            </div>
            <Field
              label="Host header"
              name="hostHeader"
              placeholder={hostname.hostname}
              autoComplete="off"
              spellCheck={false}
              value={origin.hostHeader}
              onChange={(e) => setOrigin({ ...origin, hostHeader: e.target.value })}
              error={originErrors.hostHeader}
              hint="Optional: the Host header sent to the origin, when it differs from the visitor's."
            />
            <StepButtons onBack={() => setStep(1)} pending={pending} />
          </form>
        )}

        {step === 3 && (
          <form
            className="space-y-4"
            onSubmit={(e) => {
              e.preventDefault();
              setStep(4);
            }}
          >
            <h2 className="text-lg font-semibold">Proxy stack</h2>
            <p className="text-sm text-slate-600 dark:text-slate-400">
              The proxy chain traffic passes through between visitors and your origin. You can change it later in the repository.
            </p>
            {Object.entries(groupBy(props.stacks, (s) => s.category)).map(([category, stacks]) => (
              <fieldset key={category} className="space-y-2">
                <legend className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
                  {CATEGORY_LABELS[category] ?? category}
                </legend>
                {stacks.map((s) => (
                  <label
                    key={s.id}
                    className={clsx(
                      "flex cursor-pointer gap-3 rounded-lg p-3 ring-1 ring-inset",
                      stackId === s.id
                        ? "bg-indigo-50 dark:bg-indigo-950/40 ring-indigo-400"
                        : "ring-slate-200 dark:ring-slate-700 hover:bg-slate-50 dark:hover:bg-slate-800/50",
                    )}
                  >
                    <input
                      type="radio"
                      name="stackId"
                      value={s.id}
                      checked={stackId === s.id}
                      onChange={() => setStackId(s.id)}
                      className="mt-1"
                    />
                    <span>
                      <span className="block text-sm font-medium">{s.label}</span>
                      <span className="block text-sm text-slate-600 dark:text-slate-400">{s.description}</span>
                      <span className="block font-mono text-xs text-slate-500 dark:text-slate-400">
                        {s.chain.length ? s.chain.join(" → ") : "no proxy modules"}
                      </span>
                    </span>
                  </label>
                ))}
              </fieldset>
            ))}
            <StepButtons onBack={() => setStep(2)} pending={pending} />
          </form>
        )}

        {step === 4 && (
          <form
            className="space-y-4"
            onSubmit={(e) => {
              e.preventDefault();
              submitAccount();
            }}
            noValidate
          >
            <h2 className="text-lg font-semibold">Which account (organization) owns this application?</h2>
            {creatable.length > 0 ? (
              <div className="space-y-2">
                <label className="flex items-center gap-3 text-sm font-medium">
                  <input
                    type="radio"
                    name="accountMode"
                    checked={account.mode === "existing"}
                    onChange={() => setAccount({ mode: "existing", accountId: creatable[0].id })}
                  />
                  An account I belong to
                </label>
                {account.mode === "existing" ? (
                  <div className="space-y-1 pl-7">
                    <label htmlFor="field-accountId" className="block text-sm font-medium text-slate-800 dark:text-slate-200">
                      Account
                    </label>
                    <select
                      id="field-accountId"
                      value={account.accountId}
                      onChange={(e) => setAccount({ mode: "existing", accountId: Number(e.target.value) })}
                      aria-describedby={accountError?.field === "accountId" ? "field-accountId-error" : undefined}
                      className="block w-full rounded-md border-0 bg-white dark:bg-slate-900 px-3 py-2 text-sm shadow-sm ring-1 ring-inset ring-slate-300 dark:ring-slate-600"
                    >
                      {creatable.map((a) => (
                        <option key={a.id} value={a.id}>
                          {a.name} ({a.role})
                        </option>
                      ))}
                    </select>
                    {accountError?.field === "accountId" ? (
                      <p id="field-accountId-error" className="text-sm text-red-600 dark:text-red-400">
                        {accountError.error}
                      </p>
                    ) : null}
                  </div>
                ) : null}
              </div>
            ) : null}
            <div className="space-y-2">
              <label className="flex items-center gap-3 text-sm font-medium">
                <input
                  type="radio"
                  name="accountMode"
                  checked={account.mode === "new"}
                  onChange={() => setAccount({ mode: "new", name: "" })}
                />
                A new account
              </label>
              {account.mode === "new" ? (
                <Field
                  className="pl-7"
                  label="New account name"
                  name="newAccountName"
                  maxLength={80}
                  placeholder="Acme Inc."
                  value={account.name}
                  onChange={(e) => setAccount({ mode: "new", name: e.target.value })}
                  error={accountError?.field === "newAccountName" ? accountError.error : undefined}
                />
              ) : null}
            </div>
            <StepButtons onBack={() => setStep(3)} pending={pending} />
          </form>
        )}

        {step === 5 && hostname && checkedOrigin && (
          <div className="space-y-5">
            <h2 className="text-lg font-semibold">Review</h2>
            {formError ? <FormMessage>{formError}</FormMessage> : null}
            <dl className="divide-y divide-slate-100 dark:divide-slate-800 text-sm">
              <ReviewRow
                term="Hostname"
                value={hostname.unicode !== hostname.hostname ? `${hostname.unicode} (${hostname.hostname})` : hostname.hostname}
              />
              <ReviewRow
                term="Origin"
                value={`${checkedOrigin.protocol}://${checkedOrigin.address}:${checkedOrigin.port}${checkedOrigin.host_header ? ` (Host: ${checkedOrigin.host_header})` : ""}`}
              />
              <ReviewRow
                term="Proxy stack"
                value={stack ? `${stack.label}${stack.chain.length ? ` — ${stack.chain.join(" → ")}` : ""}` : stackId}
              />
              <ReviewRow term="Account" value={chosenAccount ?? ""} />
              <ReviewRow term="Environment" value="Production" />
            </dl>
            <p className="text-sm text-slate-600 dark:text-slate-400">
              Creating the application does not make it live: next you will see the DNS record to set.
            </p>
            <div className="flex gap-3">
              <Button type="button" variant="secondary" onClick={() => setStep(4)} disabled={pending}>
                Back
              </Button>
              <Button type="button" onClick={create} disabled={pending}>
                {pending ? "Creating…" : "Create application"}
              </Button>
            </div>
          </div>
        )}
      </section>
    </div>
  );
}

function HostnameSummary({ hostname }: { hostname: Extract<HostnameStep, { ok: true }> }) {
  return (
    <div className="space-y-2 [overflow-wrap:anywhere]">
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Hostname: <span className="font-medium text-slate-900 dark:text-slate-100">{hostname.unicode}</span>
        {hostname.unicode !== hostname.hostname ? (
          <span className="font-mono text-xs text-slate-500 dark:text-slate-400"> ({hostname.hostname})</span>
        ) : null}
      </p>
      {hostname.notice ? <FormMessage tone="info">{hostname.notice}</FormMessage> : null}
      {hostname.isApex ? (
        <FormMessage tone="warning">
          {hostname.unicode} is an apex (bare) domain: it cannot hold a CNAME record, so going live needs A records to the edge (or an ALIAS
          record at providers that have one).
        </FormMessage>
      ) : null}
    </div>
  );
}

function StepButtons({ onBack, pending }: { onBack: () => void; pending: boolean }) {
  return (
    <div className="flex gap-3 pt-2">
      <Button type="button" variant="secondary" onClick={onBack} disabled={pending}>
        Back
      </Button>
      <Button type="submit" disabled={pending}>
        {pending ? "Checking…" : "Continue"}
      </Button>
    </div>
  );
}

function ReviewRow({ term, value }: { term: string; value: string }) {
  return (
    <div className="grid grid-cols-3 gap-4 py-2">
      <dt className="text-slate-500 dark:text-slate-400">{term}</dt>
      <dd className="col-span-2 break-all font-medium">{value}</dd>
    </div>
  );
}

function groupBy<T>(items: T[], key: (item: T) => string): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const item of items) (out[key(item)] ??= []).push(item);
  return out;
}
