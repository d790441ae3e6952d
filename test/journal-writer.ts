import { Journal } from "../daemon/journal/journal.js";
import { openDatabase } from "../platform/database/database.js";
import { decision } from "./ops-fixture.js";

/**
 * A stand-in for the daemon's journal writes in its own process: appends a decision every
 * millisecond or so to the database named by argv[2], tells the parent how many it wrote
 * (first message once it has started), and stops when the parent says "stop".
 */
const db = openDatabase(process.argv[2] ?? "");
const journal = Journal.open(db);
let written = 0;
let stop = false;
process.on("message", () => {
  stop = true;
});
const tick = (): void => {
  if (stop) {
    db.close();
    process.disconnect?.();
    return;
  }
  for (let i = 0; i < 5; i++) journal.append(decision(Date.now(), written++));
  if (written % 100 === 5) process.send?.(written);
  setTimeout(tick, 1);
};
tick();
