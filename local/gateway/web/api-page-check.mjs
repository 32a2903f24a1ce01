// Opens the local gateway's API page in headless Chromium and reports, as one JSON line on stdout,
// what a user sees: the operations listed, and what "Try it out" then "Execute" shows for each of
// them with the page's own example request (a path parameter `id` filled with 0001).
// Usage: node api-page-check.mjs <page URL> <chromium executable>
// Only reports: the Rust test (local/gateway/tests/api_page.rs) makes the assertions.
import { chromium } from "playwright-core";

const [pageUrl, executablePath] = process.argv.slice(2);
if (!pageUrl || !executablePath) {
  console.error("usage: node api-page-check.mjs <page URL> <chromium executable>");
  process.exit(2);
}
// Every wait is bounded, so a broken page fails the test instead of hanging it.
const STEP_TIMEOUT_MS = 60_000;

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
  const blocks = await page.locator(".opblock").all();
  const operations = [];
  const tryItOut = {};
  for (const block of blocks) {
    const method = await block.locator(".opblock-summary-method").innerText();
    const path = await block.locator(".opblock-summary-path").getAttribute("data-path");
    const operation = `${method} ${path}`;
    operations.push(operation);

    await block.locator(".opblock-summary").click();
    await block.locator("button.try-out__btn").click();
    const id = block.locator('tr[data-param-name="id"][data-param-in="path"] input');
    if ((await id.count()) > 0) await id.fill("0001");
    await block.locator("button.execute").click();
    const live = block.locator(".live-responses-table");
    tryItOut[operation] = {
      status: await live.locator("tr.response td.response-col_status").first().innerText(),
      body: await live.locator(".response-col_description pre.microlight").first().innerText(),
      curl: await block.locator(".curl-command").innerText(),
    };
  }

  console.log(
    JSON.stringify({
      pageStatus: response.status(),
      operations,
      tryItOut,
      pageErrors,
      failedRequests,
    }),
  );
} finally {
  await browser.close();
}
