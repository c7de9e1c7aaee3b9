"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { Button } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/field";

/**
 * New recovery codes, shown once: a list, "Download (.txt)" (a file made in the browser), "Copy all", and "Done",
 * which re-reads the page (after that the codes are gone for good: only their hashes are stored).
 */
export function RecoveryCodesPanel({ codes, email, intro }: { codes: string[]; email: string; intro: string }) {
  const router = useRouter();
  const [copied, setCopied] = useState(false);
  const text = [
    `Edge Console recovery codes for ${email}`,
    `Created ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC. Each code signs in once instead of an authenticator code.`,
    "",
    ...codes,
    "",
  ].join("\n");
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "edge-console-recovery-codes.txt";
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <section aria-labelledby="recovery-codes-heading" className="space-y-3">
      <FormMessage tone="success">{intro}</FormMessage>
      <h3 id="recovery-codes-heading" className="text-base font-semibold">
        Your recovery codes
      </h3>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Save them somewhere safe now (a password manager): this is the only time they are shown. If you lose your phone, each code signs you
        in once instead of an authenticator code.
      </p>
      <ol
        aria-label="Recovery codes"
        className="grid grid-cols-1 gap-x-8 gap-y-1 rounded-lg bg-slate-50 dark:bg-slate-800/50 p-4 font-mono text-sm ring-1 ring-slate-200 dark:ring-slate-700 min-[400px]:grid-cols-2"
      >
        {codes.map((code) => (
          <li key={code} className="tracking-wide">
            {code}
          </li>
        ))}
      </ol>
      <div className="flex flex-wrap gap-2">
        <Button type="button" variant="secondary" onClick={download}>
          Download (.txt)
        </Button>
        <Button
          type="button"
          variant="secondary"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(text);
              setCopied(true);
            } catch {
              setCopied(false); // clipboard unavailable (insecure context): select the list by hand
            }
          }}
        >
          {copied ? "Copied" : "Copy all"}
        </Button>
        <Button type="button" onClick={() => router.refresh()}>
          Done: I saved them
        </Button>
      </div>
    </section>
  );
}
