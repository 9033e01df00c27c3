// Allure 3 configuration: the living-documentation report built from behave's results.
// One self-contained index.html (opens from disk), grouped concept > feature > rule.
import { defineConfig } from "allure";

export default defineConfig({
  name: "livingspec: an executable specification of eleven software concepts",
  output: "./reports/allure-report",
  plugins: {
    awesome: {
      options: {
        singleFile: true,
        reportLanguage: "en",
        groupBy: ["epic", "feature", "story"],
      },
    },
  },
});
