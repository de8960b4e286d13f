/** `cancan merchant branding`, run as the real binary: set, show, refuse (nothing changed), per-method, remove; audited. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openMigratedStore } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { type TestDatabase, createTestDatabase } from '../support/databases.js';
import { png } from '../support/images.js';
import { cli } from '../support/process.js';

describe('cancan merchant branding', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let merchantId = '';
  before(async () => {
    database = await createTestDatabase('sqlite');
    env = { CANCAN_DATA_DIR: database.dataDir };
    const created = cli(env, ['merchant', 'create', '--name', 'Noodle Bar', '--gateways', 'all', '--json']);
    assert.equal(created.status, 0, created.stderr);
    merchantId = JSON.parse(created.stdout).merchant.id;
  });
  after(() => database.drop());

  const rows = async () => {
    const store = await openMigratedStore(loadConfig({ CANCAN_DATA_DIR: database.dataDir, LOG_LEVEL: 'warn' }));
    try {
      return {
        templates: await store.db.selectFrom('checkout_brandings').select(['method', 'template']).orderBy('method').execute(),
        logos: (await store.db.selectFrom('checkout_logos').select('id').execute()).length,
        audits: await store.db.selectFrom('audit_log').select(['action', 'user_id', 'detail']).orderBy('id').execute(),
      };
    } finally {
      await store.close();
    }
  };

  test('set with a logo, show, refuse a bad change with every reason, per-method template, remove', async () => {
    const logo = join(database.dataDir, 'logo.png');
    writeFileSync(logo, png(120, 40));
    const set = cli(env, [
      'merchant',
      'branding',
      '--merchant',
      merchantId,
      '--display-name',
      'Noodle Bar Downtown',
      '--logo',
      logo,
      '--brand-color',
      '#B91C1C',
      '--footer-link',
      'Terms|https://noodle.example/terms',
      '--footer-link',
      'Help|https://noodle.example/help',
      '--json',
    ]);
    assert.equal(set.status, 0, set.stderr);
    const saved = JSON.parse(set.stdout);
    assert.equal(saved.template.brandColor, '#b91c1c');
    assert.match(saved.template.logoId, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      saved.template.footerLinks.map((l: { label: string }) => l.label),
      ['Terms', 'Help'],
    );

    const shown = cli(env, ['merchant', 'branding', '--merchant', merchantId]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /display name: Noodle Bar Downtown/);
    assert.match(shown.stdout, /colours: button #b91c1c \/ #ffffff/);

    const svg = join(database.dataDir, 'logo.svg');
    writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const before = await rows();
    const refused = cli(env, ['merchant', 'branding', '--merchant', merchantId, '--logo', svg, '--accent-color', '#eeeeee']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /template refused, nothing changed:/);
    assert.match(refused.stderr, /--accent-color #eeeeee on #ffffff has a contrast of 1\.\d\d:1, below the 4\.5:1 WCAG AA minimum; try #[0-9a-f]{6}/);
    assert.match(refused.stderr, /--logo: SVG logos are refused/);
    assert.deepEqual(await rows(), before);

    const card = cli(env, ['merchant', 'branding', '--merchant', merchantId, '--method', 'cc', '--brand-color', '#14532d', '--json']);
    assert.equal(card.status, 0, card.stderr);
    assert.equal(JSON.parse(card.stdout).template.displayName, 'Noodle Bar Downtown', 'a new method template starts from the default');
    assert.deepEqual(
      (await rows()).templates.map((t) => t.method),
      ['', 'cc'],
    );
    assert.equal(cli(env, ['merchant', 'branding', '--merchant', merchantId, '--method', 'nope']).status, 2);

    const removed = cli(env, ['merchant', 'branding', '--merchant', merchantId, '--method', 'cc', '--remove', '--json']);
    assert.deepEqual(JSON.parse(removed.stdout), { merchant: merchantId, method: 'cc', removed: true });
    const after = await rows();
    assert.deepEqual(
      after.templates.map((t) => t.method),
      [''],
    );
    assert.equal(after.logos, 1);
    assert.deepEqual(
      after.audits.map((a) => `${a.action} ${a.user_id} ${JSON.parse(a.detail).method}`),
      ['checkout_branding.updated cli default', 'checkout_branding.updated cli cc', 'checkout_branding.removed cli cc'],
    );
  });
});
