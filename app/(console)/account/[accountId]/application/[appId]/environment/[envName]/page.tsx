import type { Metadata } from "next";
import { parseId } from "@/lib/auth/access";
import { requireEnvironment } from "@/lib/environments/access";
import { EnvironmentView } from "../../_components/environment-view";

export const metadata: Metadata = { title: "Environment" };

/** One environment of an application: its domains (a page at a time, searchable), go-live status and configuration. */
export default async function EnvironmentPage({
  params,
  searchParams,
}: {
  params: Promise<{ accountId: string; appId: string; envName: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { accountId, appId, envName } = await params;
  const { application, environment, ...access } = await requireEnvironment(parseId(accountId), parseId(appId), envName);
  return <EnvironmentView access={access} application={application} envName={environment.name} searchParams={await searchParams} />;
}
