// `npm run worker`: background go-live re-checks (SPEC §3.5) outside the console process, against the same
// DATA_DIR (and the same settings: DNS_SERVERS, SMTP_URL, APP_URL, CHECK_INTERVAL_SECONDS…). Several workers and
// the console can run together: the lease in checkDomain keeps them from checking one domain at once.
import { openDatabase } from "@/db";
import { settings } from "@/lib/config";
import { startScheduler } from "@/lib/dns/scheduler";

openDatabase(); // applies migrations, like the console at start
const s = settings();
console.log(`worker: checking due domains in ${s.dataDir} every ${s.checkIntervalSeconds} s`);
const scheduler = startScheduler();
const keepAlive = setInterval(() => {}, 1 << 30);
const stop = () => {
  clearInterval(keepAlive);
  void scheduler.stop().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
