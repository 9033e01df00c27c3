// Allure 3 configuration: the living-documentation report built from behave's results.
// One self-contained index.html (opens from disk), grouped concept > feature > rule.
// `make spec` prepares the results first (a page per concept, tidy evidence) and finishes the
// report afterwards (reading order, no outside request): see src/livingspec/report/.
import { defineConfig } from "allure";

// The formatter labels every scenario with the target it ran on (behave -D target=...).
const onTarget = (target) => ({ labels }) =>
  labels.some(({ name, value }) => name === "target" && value === target);

export default defineConfig({
  name: "livingspec: an executable specification of eleven software concepts",
  output: "./reports/allure-report",
  // Each scenario's last runs (kept across builds; reports/ is not committed).
  historyPath: "./reports/history.jsonl",
  historyLimit: 20,
  appendHistory: true,
  // Labels a reader of the specification does not need.
  hideLabels: ["term", "framework", "language", "severity", "host", "thread", "package", "target", /^allure\./],
  // The embedded run and the real-target run (make real) side by side, one tab each.
  environments: {
    embedded: { name: "embedded (simulations, in process)", matcher: onTarget("embedded") },
    real: { name: "real systems (etcd, HAProxy, nginx, PostgreSQL, Redis, Chromium)", matcher: onTarget("real") },
  },
  plugins: {
    awesome: {
      options: {
        singleFile: true,
        reportLanguage: "en",
        groupBy: ["epic", "feature", "story"],
        // Steps open with their evidence; the tree keeps the reading order.
        stepTreeExpansion: "expanded",
        defaultSortBy: "order,asc",
        sections: ["charts"],
      },
    },
  },
});
