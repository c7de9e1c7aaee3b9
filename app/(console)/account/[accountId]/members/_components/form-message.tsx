import { FormMessage } from "@/components/ui/field";
import type { FormState } from "../state";

/** The form-level message of a FormState (errors as alerts, the rest as status), or nothing. */
export function StateMessage({ state }: { state: FormState }) {
  if (!state.message) return null;
  return (
    <FormMessage key={state.at} tone={state.tone ?? "error"}>
      {state.message}
    </FormMessage>
  );
}
