import type { Metadata } from "next";
import { THEME_INIT_SCRIPT } from "@/lib/theme/theme";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Edge Console", template: "%s · Edge Console" },
  description: "Put your websites behind the edge: applications, environments, domains and go-live checks.",
};

/**
 * The document: <html> gets the `dark` class from the inline <head> script before the first paint (the theme of
 * docs/architecture.md "Themes and accessibility"), so React must not warn that its class differs from the server's.
 */
export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_INIT_SCRIPT }} />
      </head>
      <body className="min-h-screen">{children}</body>
    </html>
  );
}
