"use client";

import { TypedDeleteForm } from "@/components/ui/typed-delete-form";
import { deleteEnvironmentAction } from "../environment/actions";

/** Deletes an environment after its name is typed; its branch is kept as a `deleted/…` tag. */
export function DeleteEnvironmentForm({ environmentId, name }: { environmentId: number; name: string }) {
  return (
    <TypedDeleteForm action={deleteEnvironmentAction} idField="environmentId" id={environmentId} name={name} button="Delete environment" />
  );
}
