/** @type {import('next').NextConfig} */
const nextConfig = {
  // Section's API paths end in "/": answer them as they are instead of redirecting.
  skipTrailingSlashRedirect: true,
  serverExternalPackages: ["better-sqlite3", "@node-rs/argon2", "simple-git", "prom-client"],
  poweredByHeader: false,
  // Lets several builds live side by side (parallel e2e runs); `.next` by default.
  distDir: process.env.NEXT_DIST_DIR || ".next",
};

export default nextConfig;
