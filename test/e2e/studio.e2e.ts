import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type StudioHarness, startStudioHarness, waitForUi } from './studio-harness.js';

// Page functions run in the browser; this file compiles without the DOM library, so the few
// page globals they use are declared here. String predicates would need 'unsafe-eval', which
// the UI's content security policy forbids.
interface PageElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
}
declare const document: { querySelector(selector: string): PageElement | null };
declare const window: { kStarPairs?: Set<string> };

const TASK = 'put the red cube in the bowl';

describe('RD-VLA Studio in the browser on the simulated rig', () => {
  let studio: StudioHarness;

  beforeAll(async () => {
    studio = await startStudioHarness();
  });

  afterAll(async () => {
    await studio?.close();
  });

  afterEach(async () => {
    expect(studio.consoleErrors).toEqual([]);
    // A notice left from one test must not fail the next one's waits.
    for (const dismiss of await studio.page.locator('.notice button').all()) await dismiss.click();
  });

  it('shows the rig, its motors and calibration', async () => {
    const { page } = studio;
    await page.click('[data-testid="tab-rig"]');
    await page.waitForSelector('[data-testid="rig-summary"]:has-text("aloha-sim")');

    await page.click('text=Scan motors');
    await page.waitForSelector('[data-testid="scans"] table');
    const captions = await page.locator('[data-testid="scans"] caption').allTextContents();
    expect(captions).toEqual([
      'left_leader · 7 motors at 1000000 bps',
      'left_follower · 7 motors at 1000000 bps',
      'right_leader · 7 motors at 1000000 bps',
      'right_follower · 7 motors at 1000000 bps',
    ]);

    await page.click('text=Check calibration');
    await page.waitForSelector('[data-testid="calibration-status"]');
    expect(await page.locator('[data-testid="calibration-status"] tbody tr').count()).toBe(28);
    await studio.screenshot('rig');
  });

  it('records an episode and lists it', async () => {
    const { page } = studio;
    await page.click('[data-testid="tab-record"]');
    await page.fill('[data-testid="task-input"]', TASK);

    // Space is the record shortcut; it must not type into the task field, so focus leaves it first.
    await page.locator('h1').click();
    await page.keyboard.press('Space');
    await waitForUi(page, '[data-testid="recording-state"]:has-text("recording")');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="loop-rate"]')?.textContent?.split(' ')[0]) > 10);
    await page.waitForFunction(() => /· ([5-9]\d|\d{3,}) steps/.test(document.querySelector('.counters')?.textContent ?? ''));
    await studio.screenshot('record');

    await page.keyboard.press('Space');
    await waitForUi(page, '[data-testid="episode-counter"]:has-text("1")');
    expect(await page.textContent('[data-testid="recording-state"]')).toBe('idle');

    await page.click('[data-testid="tab-episodes"]');
    const row = page.locator('[data-testid^="episode-row-"]', { hasText: TASK });
    await row.waitFor();
    expect(await row.locator('td').nth(3).textContent()).toBe('teleop');
    expect(Number(await row.locator('td').nth(4).textContent())).toBeGreaterThan(40);
  });

  it('discards the last episode with the Delete shortcut', async () => {
    const { page } = studio;
    await page.click('[data-testid="tab-record"]');
    await page.locator('h1').click();
    await page.keyboard.press('Space');
    await waitForUi(page, '[data-testid="recording-state"]:has-text("recording")');
    await page.keyboard.press('Space');
    await page.waitForSelector('[data-testid="episode-counter"]:has-text("2")');

    await page.keyboard.press('Delete');
    await page.waitForSelector('[data-testid="episode-counter"]:has-text("1")');
    await page.click('[data-testid="tab-episodes"]');
    await page.waitForSelector('[data-testid^="episode-row-"]');
    expect(await page.locator('[data-testid^="episode-row-"]').count()).toBe(1);
  });

  it('opens an episode, scrubs it and labels it', async () => {
    const { page } = studio;
    await page.click('[data-testid="tab-episodes"]');
    const row = page.locator('[data-testid^="episode-row-"]', { hasText: TASK }).first();
    const id = (await row.getAttribute('data-testid'))!.replace('episode-row-', '');

    await page.click(`[data-testid="open-${id}"]`);
    await page.waitForSelector(`[data-testid="review-player"][data-episode="${id}"]`);
    await page.waitForSelector('[data-testid="review-left"] canvas');

    const scrubber = page.locator('[data-testid="scrubber"]');
    await scrubber.focus();
    await page.keyboard.press('End');
    const end = Number((await page.textContent('[data-testid="scrubber-time"]'))!.replace(' s', ''));
    expect(end).toBeGreaterThan(0.9);
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
    const scrubbed = Number((await page.textContent('[data-testid="scrubber-time"]'))!.replace(' s', ''));
    expect(scrubbed).toBeCloseTo(end - 10 / 50, 1);

    await page.click('[data-testid="review-success"]');
    await page.waitForSelector(`[data-testid="outcome-${id}"]:has-text("success")`);
    await page.waitForSelector('[data-testid="review-outcome"]:has-text("success")');
    await studio.screenshot('episodes');

    await page.check(`[aria-label="select episode ${id}"]`);
    await page.selectOption('[data-testid="export-format"]', 'aloha-hdf5');
    await page.click('[data-testid="export-button"]');
    await page.waitForSelector('[data-testid="export-result"]:has-text("written to")', { timeout: 60_000 });
    await page.uncheck(`[aria-label="select episode ${id}"]`);

    await page.selectOption('[data-testid="filter-outcome"]', 'failure');
    await page.waitForSelector('text=no episodes match the filter');
    await page.selectOption('[data-testid="filter-outcome"]', 'success');
    await page.waitForSelector(`[data-testid="episode-row-${id}"]`);
  });

  it('runs a rollout and shows k* and H_exec changing', async () => {
    const { page } = studio;
    await page.click('[data-testid="tab-autonomous"]');
    await page.waitForSelector('[data-testid="policy-select"] option[value$="rdvla-tiny-sim"]', { state: 'attached' });
    await page.click('text=Load and show manifest');
    await page.waitForSelector('[data-testid="manifest"]:has-text("rdvla-tiny-sim")');

    await page.selectOption('[data-testid="strategy-select"]', 'linear');
    await page.fill('[data-testid="setting-seconds"]', '6');
    await page.click('[data-testid="rollout-start"]');
    await page.waitForSelector('[data-testid="camera-cam_high"][data-live="true"]');

    // The overlay carries k* and H_exec as data attributes; wait until two different pairs were shown.
    await page.waitForFunction(() => {
      const overlay = document.querySelector('[data-testid="kstar-overlay"]');
      if (!overlay) return false;
      const seen = (window.kStarPairs ??= new Set());
      seen.add(`${overlay.dataset.kstar}/${overlay.dataset.horizon}`);
      return seen.size >= 2;
    });
    await studio.screenshot('autonomous');

    await page.waitForSelector('[data-testid="rollout-state"]:text-matches("^idle")', { timeout: 30_000 });
    expect(await page.textContent('[data-testid="rollout-verdict"]')).toMatch(/^(success|failure): /);
    await page.click('[data-testid="tab-episodes"]');
    await page.selectOption('[data-testid="filter-kind"]', 'rollout');
    const row = page.locator('[data-testid^="episode-row-"]').first();
    await row.waitFor();
    const id = (await row.getAttribute('data-testid'))!.replace('episode-row-', '');
    await page.click(`[data-testid="open-${id}"]`);
    await page.waitForSelector('[data-testid="review-kstar"] canvas');
    await page.waitForSelector('[data-testid^="still-cam_high"] img');
    await studio.screenshot('review-rollout');
    await page.selectOption('[data-testid="filter-kind"]', '');
  });

  it('stops a rollout with the Escape key', async () => {
    const { page } = studio;
    await page.click('[data-testid="tab-autonomous"]');
    await page.fill('[data-testid="setting-seconds"]', '30');
    await page.click('[data-testid="rollout-start"]');
    await page.waitForSelector('[data-testid="kstar-overlay"]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="rollout-state"]:text-matches("^idle")');
    const elapsed = await page.textContent('[data-testid="rollout-elapsed"]');
    expect(Number(elapsed!.split(' ')[0])).toBeLessThan(20);
  });

  it('reports invalid input as a readable message', async () => {
    const { page } = studio;
    await page.click('[data-testid="tab-rig"]');
    await page.fill('input[placeholder^="rig file"]', '/nonexistent/rig.json');
    await page.click('text=Connect rig file');
    const notice = page.locator('.notice.error', { hasText: 'rig file' }).first();
    await notice.waitFor();
    expect(await notice.textContent()).toContain('cannot read rig file /nonexistent/rig.json');
    expect(await notice.textContent()).not.toContain('    at ');
    await notice.locator('button').click();

    await page.click('text=Connect simulated rig');
    await page.waitForSelector('[data-testid="rig-summary"]:has-text("aloha-sim")');
  });
});
