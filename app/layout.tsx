import type { Metadata } from "next";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Edge Console", template: "%s · Edge Console" },
  description: "Put your websites behind the edge: applications, environments, domains and go-live checks.",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">{children}</body>
    </html>
  );
}
