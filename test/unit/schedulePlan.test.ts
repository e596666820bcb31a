import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { failuresCsv } from '../../src/cli/operatorCommands';
import { progressLine } from '../../src/cli/progressBar';
import { scheduleSchema } from '../../src/config/scheduleConfig';
import { changedSettings, describeSchedule } from '../../src/temporal/schedules';

describe('schedule configuration and plans', () => {
  test('a schedule defaults to every minute, UTC, skip, unpaused; cron, time zone and jitter are read as given', () => {
    assert.deepEqual(scheduleSchema.parse(undefined), {
      every: '1m',
      timeZone: 'UTC',
      overlap: 'skip',
      catchupWindow: '1m',
      paused: false,
    });
    const cron = scheduleSchema.parse({ cron: '0 6 * * 1-5', timeZone: 'Europe/Berlin', jitter: '30s' });
    assert.equal(describeSchedule(cron), 'cron 0 6 * * 1-5 (Europe/Berlin), jitter 30s');
  });

  test('allow-all overlap, unknown time zones and bad durations are refused with what is expected', () => {
    assert.match(String(scheduleSchema.safeParse({ overlap: 'allow-all' }).error?.issues[0]?.message), /allow-all is not possible/);
    assert.match(String(scheduleSchema.safeParse({ timeZone: 'Mars/Olympus' }).error?.issues[0]?.message), /IANA time zone/);
    assert.match(String(scheduleSchema.safeParse({ every: 'soon' }).error?.issues[0]?.message), /a duration such as/);
  });

  test('a plan names the settings that changed, by path', () => {
    const before = { args: { pageSize: 200, guard: { maxChangeShare: 0.5 } }, schedule: { every: '1m' } };
    const after = { args: { pageSize: 200, guard: { maxChangeShare: 0.8 } }, schedule: { every: '1m', cron: '0 6 * * *' } };
    assert.deepEqual(changedSettings(before, after), ['args.guard.maxChangeShare', 'schedule.cron']);
    assert.deepEqual(changedSettings(before, before), []);
  });

  test('failures as CSV quote reasons that hold commas, quotes or line breaks', () => {
    const csv = failuresCsv({
      integrationId: 'products',
      failed: [{ id: 'P-1', reason: 'CRM said "no", twice', attempts: 2 }],
      parked: [],
      skipped: [{ id: 'P-2', reason: 'retired', failure: 'too long\nname', skippedAt: '2026-11-24T10:00:00.000Z' }],
      rejected: [],
      counts: { failed: 1, parked: 0, skipped: 1, rejected: 0 },
    });
    assert.equal(
      csv,
      [
        'kind,id,reason,attempts,skippedAt,failure',
        'failed,P-1,"CRM said ""no"", twice",2,,',
        'skipped,P-2,retired,,2026-11-24T10:00:00.000Z,"too long\nname"',
      ].join('\n'),
    );
  });
});

describe('the live progress line of `--wait`', () => {
  test('shows state, page, the counts that moved, the rate and why a run waits', () => {
    const line = progressLine({
      state: 'NeedsAttention',
      integrationId: 'products',
      pages: 3,
      counts: { fetched: 600, created: 580, failed: 0 },
      cursor: null,
      watermark: null,
      recordsPerSecond: 412.5,
      attentionReason: 'Writing products to the CRM: CRM failed with 503',
    });
    assert.equal(
      line,
      'NeedsAttention page 3 · fetched 600 · created 580 · 412.5 rec/s · Writing products to the CRM: CRM failed with 503',
    );
  });
});
