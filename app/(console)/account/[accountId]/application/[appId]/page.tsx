import type { Metadata } from "next";
import { parseId, requireApplication } from "@/lib/auth/access";
import { EnvironmentView } from "./_components/environment-view";

export const metadata: Metadata = { title: "Application" };

/** Application overview: its Production environment (docs/product.md §3.3: the application's status is Production's). */
export default async function ApplicationPage({
  params,
  searchParams,
}: {
  params: Promise<{ accountId: string; appId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { accountId, appId } = await params;
  const { application, ...access } = await requireApplication(parseId(accountId), parseId(appId));
  return <EnvironmentView access={access} application={application} envName="Production" searchParams={await searchParams} />;
}
