// Opens the local gateway's API page in headless Chromium and reports, as one JSON line on stdout,
// what a user sees: the operations listed, and what "Try it out" of GET /staff/{id} shows.
// Usage: node api-page-check.mjs <page URL> <chromium executable>
// Only reports: the Rust test (local/gateway/tests/api_page.rs) makes the assertions.
import { chromium } from "playwright-core";

const [pageUrl, executablePath] = process.argv.slice(2);
if (!pageUrl || !executablePath) {
  console.error("usage: node api-page-check.mjs <page URL> <chromium executable>");
  process.exit(2);
}
// Every wait is bounded, so a broken page fails the test instead of hanging it.
const STEP_TIMEOUT_MS = 30_000;

const browser = await chromium.launch({ executablePath, headless: true });
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  // Every request the page made that failed or was refused (an asset missing, a wrong path).
  const failedRequests = [];
  page.on("requestfailed", (request) => failedRequests.push(`${request.url()} failed`));
  page.on("response", (answer) => {
    if (answer.status() >= 400) failedRequests.push(`${answer.url()} ${answer.status()}`);
  });

  const response = await page.goto(pageUrl);
  await page.locator(".opblock").first().waitFor();
  const operations = await page
    .locator(".opblock")
    .evaluateAll((blocks) =>
      blocks.map(
        (block) =>
          `${block.querySelector(".opblock-summary-method").textContent} ` +
          block.querySelector(".opblock-summary-path").dataset.path,
      ),
    );

  const operation = page.locator(".opblock-get", {
    has: page.locator('.opblock-summary-path[data-path="/staff/{id}"]'),
  });
  await operation.locator(".opblock-summary").click();
  await operation.locator("button.try-out__btn").click();
  await operation.locator('tr[data-param-name="id"] input').fill("0001");
  await operation.locator("button.execute").click();
  const live = operation.locator(".live-responses-table");
  const status = await live.locator("tr.response td.response-col_status").first().innerText();
  const body = await live.locator(".response-col_description pre.microlight").first().innerText();
  const curl = await operation.locator(".curl-command").innerText();

  console.log(
    JSON.stringify({
      pageStatus: response.status(),
      operations,
      tryItOut: { status, body, curl },
      pageErrors,
      failedRequests,
    }),
  );
} finally {
  await browser.close();
}
