import type { Metadata } from "next";
import { parseId, requireApplication } from "@/lib/auth/access";
import { EnvironmentView } from "../../_components/environment-view";

export const metadata: Metadata = { title: "Environment" };

/** One environment of an application: its domains, go-live status and configuration. */
export default async function EnvironmentPage({ params }: { params: Promise<{ accountId: string; appId: string; envName: string }> }) {
  const { accountId, appId, envName } = await params;
  const { application, ...access } = await requireApplication(parseId(accountId), parseId(appId));
  return <EnvironmentView access={access} application={application} envName={decodeURIComponent(envName)} />;
}
