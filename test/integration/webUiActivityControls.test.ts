import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLogger } from '../../src/logging/logger';
import { freePorts } from '../../src/temporal/freePorts';
import { localTemporalMode } from '../../src/temporal/localTemporalBinaries';
import { installRuntimeLogging } from '../../src/temporal/runtimeLogging';
import { ensureTemporalServer, ensureTemporalUiServer, temporalUiVersion } from '../../src/temporal/temporalServerBuild';
import { startTemporalServer, type TemporalServerProcess } from '../../src/temporal/temporalServerProcess';
import { startUiServer, type UiServerProcess } from '../../src/temporal/uiServer';
import { progressQuery } from '../../src/shared/messages';
import { startSandbox, testConfig } from '../helpers/sandbox';
import { createTestWorker, startProductSync, uniqueTaskQueue } from '../helpers/worker';
import { waitUntil } from '../helpers/waitUntil';
import { waitFor } from '../helpers/workerProcesses';

/**
 * An operator works a running productSync from the Temporal Web UI (2.58.1) in headless Chromium:
 * pauses, then resets, a failing activity; sends the `pause` update and reads its answer, and sees
 * the reason a refused update gives. The server shows each step took effect. With
 * BRIDGE_SCREENSHOTS_DIR set (`npm run screenshots`), the screenshots of docs/operating.md are
 * written there.
 */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshotsDir = process.env.BRIDGE_SCREENSHOTS_DIR;
const chromiumMissing = !existsSync(chromiumPath);
// CI installs Chromium and sets BRIDGE_REQUIRE_CHROMIUM, so there a missing browser fails this test instead of skipping it.
const skip =
  chromiumMissing && process.env.BRIDGE_REQUIRE_CHROMIUM !== '1'
    ? `Chromium is not installed at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`
    : localTemporalMode() === 'cli'
      ? 'BRIDGE_LOCAL_TEMPORAL=cli: the dev server of the Temporal CLI has Web UI 2.42.1, which cannot pause or reset activities'
      : false;

const { PENDING_ACTIVITY_STATE_PAUSED } = temporal.api.enums.v1.PendingActivityState;
const { EVENT_TYPE_ACTIVITY_TASK_STARTED } = temporal.api.enums.v1.EventType;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!screenshotsDir) return;
  mkdirSync(screenshotsDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotsDir, name) });
}

describe('the Temporal Web UI', { skip }, () => {
  let dir: string;
  let server: TemporalServerProcess;
  let ui: UiServerProcess;
  let env: TestWorkflowEnvironment;
  let browser: Browser;

  before(async () => {
    installRuntimeLogging(createLogger('test-temporal', { level: process.env.LOG_LEVEL ?? 'error' }), 'ERROR');
    // The built server and UI, never the CLI's fallback: that is what this test is about.
    const [serverBuild, uiBuild] = [await ensureTemporalServer(), await ensureTemporalUiServer()];
    dir = mkdtempSync(path.join(tmpdir(), 'bridge-web-ui-'));
    server = await startTemporalServer({ serverPath: serverBuild.serverPath, persistence: { kind: 'sqlite-memory' }, dir });
    const [uiPort] = await freePorts(1);
    ui = await startUiServer({
      uiServerPath: uiBuild.uiServerPath,
      temporalAddress: server.address,
      port: uiPort!,
      namespace: 'default',
      dir,
    });
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address, namespace: server.namespace });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-background-networking'] });
  });

  after(async () => {
    await browser?.close();
    await env?.teardown();
    await ui?.stop();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`an operator pauses a failing activity of a running productSync, then resets it once the CRM is back, from Web UI ${temporalUiVersion}`, async () => {
    const sandbox = await startSandbox({ products: 50, crmFaults: { down: true } });
    const config = testConfig(sandbox, uniqueTaskQueue('web-ui'));
    const worker = await createTestWorker(env, config);
    const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
    try {
      await worker.runUntil(async () => {
        // The CRM is down: the first activity fails and is retried every 1 to 2 s.
        const handle = await startProductSync(
          env.client,
          config,
          { retry: { initialIntervalMs: 1_000, maximumIntervalMs: 2_000, maximumAttempts: 100 } },
          'product-sync-products-crm-down',
        );
        const pendingActivity = async () => (await handle.describe()).raw.pendingActivities?.[0];
        await waitFor(async () => ((await pendingActivity())?.attempt ?? 0) >= 3, 120_000, 'the activity to fail three times');

        await page.goto(`${ui.url}/namespaces/default/workflows/${handle.workflowId}/${handle.firstExecutionRunId}/pending-activities`);
        await page.getByText(temporalUiVersion).first().waitFor({ timeout: 60_000 });
        const activityType = (await pendingActivity())!.activityType!.name!;
        await page.getByText(activityType, { exact: true }).first().waitFor({ timeout: 60_000 });

        // Pause: a dialog asks for a reason.
        await page.getByRole('button', { name: 'Pause', exact: true }).click();
        const pauseDialog = page.getByRole('dialog').filter({ hasText: 'Pause Activity' });
        await pauseDialog.getByPlaceholder('Enter a reason').fill('CRM is down: stop retrying until it is back');
        await pauseDialog.getByRole('button', { name: 'Pause', exact: true }).click();
        await waitFor(async () => (await pendingActivity())?.paused === true, 30_000, 'the server to report the activity paused');
        const paused = (await pendingActivity())!;
        assert.equal(paused.state, PENDING_ACTIVITY_STATE_PAUSED);
        await page.getByRole('button', { name: 'Unpause', exact: true }).waitFor({ timeout: 30_000 });
        await screenshot(page, 'activity-paused.png');

        // While paused the server starts no new attempt, however long the operator takes.
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        assert.equal((await pendingActivity())!.attempt, paused.attempt, 'no new attempt while paused');
        assert.equal((await handle.describe()).status.name, 'RUNNING');

        // The CRM is back: reset the activity, so it starts again at attempt 1 at once.
        await sandbox.setCrmFaults({ down: false });
        await page.getByRole('button', { name: 'Reset', exact: true }).click();
        const resetDialog = page.getByRole('dialog').filter({ hasText: 'Reset Activity' });
        await resetDialog.getByRole('button', { name: 'Reset', exact: true }).waitFor();
        await screenshot(page, 'activity-reset.png');
        await resetDialog.getByRole('button', { name: 'Reset', exact: true }).click();

        const summary = await handle.result();
        assert.equal(summary.status, 'Completed');
        assert.equal(sandbox.crm.store.count(), 50, 'every product landed once the activity ran again');
        // The attempt that succeeded is attempt 1 again: the reset took effect, not just an unpause.
        const history = await handle.fetchHistory();
        const started = history.events!.find(
          (event) => event.eventType === EVENT_TYPE_ACTIVITY_TASK_STARTED && event.activityTaskStartedEventAttributes,
        );
        assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 1, `the ${activityType} attempt that completed`);
        assert.ok((paused.attempt ?? 0) >= 3, 'it had failed at least three times before the pause');
      });
    } finally {
      await page.close();
      await sandbox.close();
    }
  });

  test(`an operator sends the pause update to a running productSync from Web UI ${temporalUiVersion} and reads the answer; a refused update shows the validator's reason`, async () => {
    // A slow CRM keeps the run going page after page while the operator works.
    const sandbox = await startSandbox({ products: 2_000, crmFaults: { latencyMs: 1_000 } });
    const config = testConfig(sandbox, uniqueTaskQueue('web-ui-update'));
    const worker = await createTestWorker(env, config);
    const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
    try {
      await worker.runUntil(async () => {
        const handle = await startProductSync(
          env.client,
          config,
          { pageSize: 20, pagesPerRun: 500 },
          'product-sync-products-update-from-ui',
        );
        await waitFor(async () => (await handle.query(progressQuery)).pages >= 1, 60_000, 'the first page to be written');
        await page.goto(`${ui.url}/namespaces/default/workflows/${handle.workflowId}/${(await handle.describe()).runId}/history`);
        await page.getByText(temporalUiVersion).first().waitFor({ timeout: 60_000 });

        /** More Actions > Send an Update: the dialog, with the update picked from the workflow's own list. */
        const openUpdateDialog = async (name: string) => {
          await page.getByRole('button', { name: 'More Actions' }).click();
          await page.getByRole('menuitem', { name: 'Send an Update' }).click();
          const dialog = page.getByRole('dialog', { name: 'Send an Update' });
          await dialog.getByRole('button', { name: 'Select an Update' }).click();
          // The worker answers the UI's metadata query with each handler's description.
          await page
            .getByRole('option', { name: new RegExp(`^${name}\\b`) })
            .first()
            .waitFor({ timeout: 30_000 });
          return dialog;
        };

        let dialog = await openUpdateDialog('pause');
        // Each option carries the handler's description.
        await page
          .getByRole('option', { name: /^pause Finish the batch in flight, then wait for resume\./ })
          .first()
          .waitFor();
        await screenshot(page, 'send-update-list.png');
        await page
          .getByRole('option', { name: /^pause\b/ })
          .first()
          .click();
        await dialog.getByRole('button', { name: 'Submit' }).click();
        // The UI shows the handler's answer in the event history (Workflow Execution Update Completed, Outcome Success).
        const answer = await waitUntil(
          async () => {
            await page.reload();
            await page.getByText('Event History').first().waitFor({ timeout: 30_000 });
            return /pausing after page (\d+): the batch in flight finishes first/.exec(await page.locator('body').innerText());
          },
          (found) => found !== null,
          "the pause update's answer in the Web UI's event history",
          60_000,
        );
        const answerRow = page.getByRole('row').filter({ hasText: 'Workflow Execution Update Completed' }).first();
        await answerRow.scrollIntoViewIfNeeded();
        assert.match(
          (await answerRow.innerText()).replace(/\s+/g, ' '),
          /pausing after page \d+/,
          'the answer is in the update-completed event',
        );
        await screenshot(page, 'send-update.png');
        const stopsAfter = Number(answer![1]);
        // The page in flight finishes, then the run waits: the server reports it paused with that page done.
        await waitFor(
          async () => {
            const progress = await handle.query(progressQuery);
            return progress.state === 'Paused' && progress.pages === stopsAfter;
          },
          60_000,
          `the run to report Paused after page ${stopsAfter}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        assert.equal((await handle.query(progressQuery)).pages, stopsAfter, 'no page is written while paused');

        // Nothing has failed: retryFailed is refused by its validator, with the reason, in the dialog.
        await page.keyboard.press('Escape');
        dialog = await openUpdateDialog('retryFailed');
        await page
          .getByRole('option', { name: /^retryFailed\b/ })
          .first()
          .click();
        await dialog.getByRole('textbox', { name: 'Data' }).fill('{}');
        await dialog.getByRole('button', { name: 'Submit' }).click();
        await dialog
          .getByText('retryFailed refused: nothing to retry: there are no failed or parked records')
          .first()
          .waitFor({ timeout: 30_000 });
        await screenshot(page, 'update-refused.png');
        assert.equal((await handle.query(progressQuery)).state, 'Paused', 'the refused update changed nothing');
        const history = await handle.fetchHistory();
        const updateNames = (history.events ?? []).flatMap((event) => {
          const name = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
          return name ? [name] : [];
        });
        assert.deepEqual(updateNames, ['pause'], 'only the accepted pause is in the history');
        await handle.terminate('web UI update test over');
      });
    } finally {
      await page.close();
      await sandbox.close();
    }
  });
});
