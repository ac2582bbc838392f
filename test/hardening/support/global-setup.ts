// The hardening project's global setup: after the run, merge the figures every suite file
// recorded into results/summary.{json,md} (see results.ts) — only when asked
// (`npm run hardening`, or WSE_HARDENING_SUMMARY=1), so a plain `npm test` leaves the tracked
// summary (what the docs' Reliability page shows) and the working tree untouched.
import { writeSummary } from './results';

export default function setup(): () => void {
  return () => {
    if (process.env.WSE_HARDENING_SUMMARY === '1') writeSummary();
  };
}
