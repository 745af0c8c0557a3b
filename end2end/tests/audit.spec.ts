import { readFileSync } from 'node:fs';
import { createPerson, expect, h1, signInAsAdmin, test, uniqueEmail, uniqueTag } from './helpers';

test.describe('audit log', () => {
  test('an administrator filters the log, opens an event, follows a history link and exports', async ({ page }) => {
    await signInAsAdmin(page);
    const email = uniqueEmail('audited');
    const person = await createPerson(page, { name: `Audited ${uniqueTag()}`, email });

    // The person's page links to their history.
    await page.getByRole('link', { name: 'History', exact: true }).click();
    await expect(h1(page)).toHaveText('Audit log');
    await expect(page.locator('.audit-table tbody tr')).toHaveCount(1);
    await expect(page.locator('.audit-table tbody tr')).toContainText('user.created');

    // Filters: an action and words from the target's name, applied with the form.
    await page.goto('/audit');
    await page.getByLabel('Action').selectOption('user.created');
    await page.getByLabel('Search names').fill(email.split('@')[0]);
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect(page).toHaveURL(/action=user\.created/);
    await expect(page.locator('.audit-table tbody tr')).toHaveCount(1);

    // An event shows what changed, field by field.
    await page.locator('.audit-table tbody tr a').first().click();
    await expect(h1(page)).toHaveText(/^Event \d+$/);
    const changes = page.locator('table.diff-table');
    await expect(changes).toContainText('email');
    await expect(changes).toContainText(email);
    await expect(page.getByRole('link', { name: 'Its history' })).toHaveAttribute(
      'href',
      `/audit?target_type=user&target_id=${person.id}`,
    );

    // The same filters download as CSV.
    await page.goBack();
    await expect(page.locator('.audit-table tbody tr')).toHaveCount(1);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'CSV', exact: true }).click();
    const file = await (await download).path();
    const lines = readFileSync(file, 'utf8').trim().split('\r\n');
    expect(lines[0]).toMatch(/^seq,occurred_at,actor_id/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(email);
  });
});
