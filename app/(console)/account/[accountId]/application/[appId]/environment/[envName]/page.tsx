import type { Metadata } from "next";
import { parseId } from "@/lib/auth/access";
import { requireEnvironment } from "@/lib/environments/access";
import { EnvironmentView } from "../../_components/environment-view";

export const metadata: Metadata = { title: "Environment" };

/** One environment of an application: its domains, go-live status and configuration. */
export default async function EnvironmentPage({ params }: { params: Promise<{ accountId: string; appId: string; envName: string }> }) {
  const { accountId, appId, envName } = await params;
  const { application, environment, ...access } = await requireEnvironment(parseId(accountId), parseId(appId), envName);
  return <EnvironmentView access={access} application={application} envName={environment.name} />;
}
